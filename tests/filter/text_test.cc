// The word rules of filter/text.h, one script and one edge at a time, and
// the $text condition built on them (both evaluators, errors).
#include "filter/text.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "filter/filter.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;
using V = std::vector<std::string>;

TEST(TextWordsTest, AsciiLettersAndDigitsLowerCased) {
  EXPECT_EQ(Words("The quick-brown FOX, jumps_over 2 dogs!"),
            (V{"the", "quick", "brown", "fox", "jumps", "over", "2", "dogs"}));
  EXPECT_EQ(Words("don't  stop\tnow\n"), (V{"don", "t", "stop", "now"}));
  EXPECT_EQ(Words("v1.2.3 x86_64 a@b.c"),
            (V{"v1", "2", "3", "x86", "64", "a", "b", "c"}));
  EXPECT_EQ(Words(""), V{});
  EXPECT_EQ(Words(" ,.;- "), V{});
}

TEST(TextWordsTest, AccentedLatinGreekCyrillicArmenianLowerCased) {
  EXPECT_EQ(Words("ÉCOLE Élève ÇA Œuvre Ÿ"),
            (V{"école", "élève", "ça", "œuvre", "ÿ"}));
  EXPECT_EQ(Words("İstanbul ŁÓDŹ Ağrı"), (V{"istanbul", "łódź", "ağrı"}));
  EXPECT_EQ(Words("ΣΟΦΊΑ σοφίας Άλφα"), (V{"σοφία", "σοφίασ", "άλφα"}));
  EXPECT_EQ(Words("МОСКВА Ёлка Їжак"), (V{"москва", "ёлка", "їжак"}));
  EXPECT_EQ(Words("ՀԱՅԱՍՏԱՆ"), (V{"հայաստան"}));
  EXPECT_EQ(Words("ẞ Ẁ ＡＢＣ"), (V{"ß", "ẁ", "ａｂｃ"}));
  // Scripts without case are kept whole and unchanged.
  EXPECT_EQ(Words("שלום עולם"), (V{"שלום", "עולם"}));
  EXPECT_EQ(Words("مرحبا، بالعالم؟"), (V{"مرحبا", "بالعالم"}));
  EXPECT_EQ(Words("नमस्ते। दुनिया"), (V{"नमस्ते", "दुनिया"}));
  EXPECT_EQ(Words("안녕하세요 세계"), (V{"안녕하세요", "세계"}));
  // A combining mark stays inside its word.
  EXPECT_EQ(Words("Cafe\xcc\x81 ok"), (V{"cafe\xcc\x81", "ok"}));
}

TEST(TextWordsTest, PunctuationSymbolsAndSpacesSeparate) {
  EXPECT_EQ(Words("a\xc2\xa0"
                  "b"),
            (V{"a", "b"}));  // NBSP
  EXPECT_EQ(Words("«quote» — dash…end"), (V{"quote", "dash", "end"}));
  EXPECT_EQ(Words("5×3÷2 €10 ©x"), (V{"5", "3", "2", "10", "x"}));
  EXPECT_EQ(Words("hot🔥dog ✓done"), (V{"hot", "dog", "done"}));
  EXPECT_EQ(Words("ab\xe3\x80\x80"
                  "cd"),
            (V{"ab", "cd"}));                           // ideographic space
  EXPECT_EQ(Words("µs ªb ºc"), (V{"µs", "ªb", "ºc"}));  // Latin-1 letters
}

TEST(TextWordsTest, IdeographsAreOneWordEach) {
  EXPECT_EQ(Words("東京タワー is 高い"),
            (V{"東", "京", "タ", "ワ", "ー", "is", "高", "い"}));
  EXPECT_EQ(Words("ABC漢字def"), (V{"abc", "漢", "字", "def"}));
  EXPECT_EQ(Words("。、「漢」"), (V{"漢"}));
}

TEST(TextWordsTest, InvalidUtf8Separates) {
  EXPECT_EQ(Words("ab\xff"
                  "cd"),
            (V{"ab", "cd"}));
  EXPECT_EQ(Words("ab\xc3"), (V{"ab"}));                  // truncated
  EXPECT_EQ(Words("a\xc0\xafz"), (V{"a", "z"}));          // overlong '/'
  EXPECT_EQ(Words("a\xed\xa0\x80z"), (V{"a", "z"}));      // surrogate
  EXPECT_EQ(Words("a\xf4\x90\x80\x80z"), (V{"a", "z"}));  // past U+10FFFF
  // Random bytes never crash and never yield an empty word.
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    for (const auto& w : Words(s)) EXPECT_FALSE(w.empty());
  }
}

TEST(TextWordsTest, StopWordsAndDistinctWords) {
  EXPECT_EQ(Words("The cat and THE hat", /*drop_stop_words=*/true),
            (V{"cat", "hat"}));
  EXPECT_TRUE(IsEnglishStopWord("the"));
  EXPECT_TRUE(IsEnglishStopWord("with"));
  EXPECT_FALSE(IsEnglishStopWord("cat"));
  EXPECT_FALSE(IsEnglishStopWord("The"));  // lower-case input only
  EXPECT_EQ(DistinctWords("b a B c a"), (V{"a", "b", "c"}));
}

TEST(TextWordsTest, ContainsAllWords) {
  EXPECT_TRUE(ContainsAllWords("The Quick fox", {"fox", "quick"}));
  EXPECT_FALSE(ContainsAllWords("The Quick fox", {"fox", "slow"}));
  EXPECT_FALSE(ContainsAllWords("foxes", {"fox"}));  // whole words only
  EXPECT_TRUE(ContainsAllWords("anything", {}));
  V many;
  std::string text;
  for (int i = 0; i < 64; ++i) {
    many.push_back("w" + std::to_string(100 + i));
    text += "w" + std::to_string(163 - i) + " ";
  }
  EXPECT_TRUE(ContainsAllWords(text, many));
  EXPECT_FALSE(ContainsAllWords(text.substr(5), many));  // w163 missing
}

TEST(TextFilterTest, BothEvaluatorsAgree) {
  const json docs[] = {
      {{"body", "The Quick brown fox"}},
      {{"body", json::array({"quick", "fox"})}},
      {{"body", "Quick-fox!"}},
      {{"body", {{"text", "quick fox"}}}},
      {{"body", 3}},
      {{"other", "quick fox"}},
      {{"body", "QUICK \\u0046OX"}},  // an escaped F in the stored text
  };
  const json filters[] = {
      {{"body", {{"$text", "fox QUICK"}}}},
      {{"body", {{"$text", "fox"}}}},
      {{"body.text", {{"$text", "fox"}}}},
      {{"$not", {{"body", {{"$text", "brown"}}}}}},
      {{"body", {{"$text", "quick"}, {"$ne", "Quick-fox!"}}}},
  };
  const bool want[][7] = {
      {true, false, true, false, false, false, true},
      {true, true, true, false, false, false, true},
      {false, false, false, true, false, false, false},
      {false, true, true, true, true, true, true},
      {true, true, false, false, false, false, true},
  };
  for (size_t f = 0; f < std::size(filters); ++f) {
    auto filter = Filter::Parse(filters[f]);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    for (size_t d = 0; d < std::size(docs); ++d) {
      std::string text = docs[d].dump();
      if (d == 6) text = R"({"body":"QUICK \u0046OX"})";
      EXPECT_EQ(filter->MatchesText(text), want[f][d])
          << filters[f].dump() << " on " << text;
      if (d != 6) {
        EXPECT_EQ(filter->Matches(docs[d]), want[f][d])
            << filters[f].dump() << " on " << text;
      }
    }
  }
  EXPECT_TRUE(Filter::Parse(json{{"body", {{"$text", "fox QUICK"}}}})
                  .value()
                  .Matches(json{{"body", "QUICK FOX"}}));
}

TEST(TextFilterTest, Refusals) {
  auto err = [](const json& spec) {
    auto f = Filter::Parse(spec);
    return f.ok() ? std::string("accepted") : f.status().message();
  };
  EXPECT_NE(err({{"b", {{"$text", 3}}}}).find("$text needs a string"),
            std::string::npos);
  EXPECT_NE(err({{"b", {{"$text", " ,;- "}}}}).find("at least one word"),
            std::string::npos);
  std::string many;
  for (int i = 0; i < 65; ++i) many += "w" + std::to_string(i) + " ";
  EXPECT_NE(err({{"b", {{"$text", many}}}}).find("at most 64"),
            std::string::npos);
  many += "w0 w1";  // repeats count once
  EXPECT_NE(err({{"b", {{"$text", many}}}}).find("65 distinct"),
            std::string::npos);
  many = "";
  for (int i = 0; i < 64; ++i) many += "w" + std::to_string(i) + " W0 ";
  EXPECT_EQ(err({{"b", {{"$text", many}}}}), "accepted");
}

}  // namespace
}  // namespace proximadb::filter
