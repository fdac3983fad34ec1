#include "filter/text.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "util/limits.h"

namespace proximadb::filter {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes one code point at text[*pos], advancing *pos; kInvalid (advancing
// one byte) for a byte that does not start a well-formed, shortest-form
// sequence of a scalar value.
char32_t Decode(std::string_view text, size_t* pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size(), i = *pos;
  const unsigned char b0 = s[i];
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  int len;
  char32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    *pos = i + 1;
    return kInvalid;
  }
  if (n - i < static_cast<size_t>(len)) {
    *pos = i + 1;
    return kInvalid;
  }
  for (int k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) {
      *pos = i + 1;
      return kInvalid;
    }
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *pos = i + 1;
    return kInvalid;
  }
  *pos = i + len;
  return cp;
}

void Encode(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

enum class Kind { kSeparator, kLetter, kIdeograph };

struct Range {
  char32_t lo, hi;
};

// Punctuation, symbols, spaces and controls above ASCII: the blocks (or the
// parts of them) that hold no letters or digits. Sorted, disjoint.
constexpr Range kSeparators[] = {
    {0x0080, 0x00A9},     // C1 controls, NBSP, Latin-1 punctuation/symbols
    {0x00AB, 0x00B4},     // (ª U+00AA is a letter)
    {0x00B6, 0x00B9},     // (µ U+00B5 is a letter)
    {0x00BB, 0x00BF},     // (º U+00BA is a letter)
    {0x00D7, 0x00D7},     // ×
    {0x00F7, 0x00F7},     // ÷
    {0x037E, 0x037E},     // Greek question mark
    {0x0387, 0x0387},     // Greek ano teleia
    {0x055A, 0x055F},     // Armenian punctuation
    {0x0589, 0x058A},     // Armenian full stop, hyphen
    {0x05BE, 0x05BE},     // Hebrew maqaf
    {0x05C0, 0x05C0},     // Hebrew paseq
    {0x05C3, 0x05C3},     // Hebrew sof pasuq
    {0x05F3, 0x05F4},     // Hebrew geresh, gershayim
    {0x0600, 0x060F},     // Arabic signs and punctuation
    {0x061B, 0x061F},     // Arabic semicolon .. question mark
    {0x066A, 0x066D},     // Arabic percent .. five-pointed star
    {0x06D4, 0x06D4},     // Arabic full stop
    {0x0964, 0x0965},     // Devanagari danda, double danda
    {0x0E3F, 0x0E3F},     // Thai baht
    {0x0E4F, 0x0E4F},     // Thai fongman
    {0x0E5A, 0x0E5B},     // Thai angkhankhu, khomut
    {0x10FB, 0x10FB},     // Georgian paragraph separator
    {0x1680, 0x1680},     // Ogham space
    {0x2000, 0x206F},     // General Punctuation (spaces, dashes, quotes)
    {0x20A0, 0x20CF},     // Currency symbols
    {0x2190, 0x23FF},     // Arrows, math operators, technical
    {0x2400, 0x24FF},     // Control pictures, OCR, enclosed alphanumerics
    {0x2500, 0x27BF},     // Box drawing, shapes, misc symbols, dingbats
    {0x27C0, 0x2BFF},     // Math symbols, arrows, misc symbols
    {0x2E00, 0x2E7F},     // Supplemental punctuation
    {0x3000, 0x303F},     // CJK symbols and punctuation
    {0x30A0, 0x30A0},     // Katakana-Hiragana double hyphen
    {0x30FB, 0x30FB},     // Katakana middle dot
    {0xD800, 0xF8FF},     // surrogates (never decoded), private use
    {0xFD3E, 0xFD3F},     // ornate parentheses
    {0xFE10, 0xFE1F},     // vertical forms
    {0xFE30, 0xFE6F},     // CJK compatibility forms, small forms
    {0xFEFF, 0xFEFF},     // zero width no-break space (BOM)
    {0xFF00, 0xFF0F},     // fullwidth ! .. /
    {0xFF1A, 0xFF20},     // fullwidth : .. @
    {0xFF3B, 0xFF40},     // fullwidth [ .. `
    {0xFF5B, 0xFF65},     // fullwidth { .. halfwidth katakana middle dot
    {0xFFF0, 0xFFFF},     // specials
    {0x1F000, 0x1FAFF},   // mahjong, cards, emoji, pictographs
    {0xE0000, 0x10FFFF},  // tags, variation selectors sup., private use
};

// Written without spaces: one word per character.
constexpr Range kIdeographs[] = {
    {0x3040, 0x30FF},    // Hiragana, Katakana
    {0x3400, 0x4DBF},    // CJK extension A
    {0x4E00, 0x9FFF},    // CJK unified ideographs
    {0xF900, 0xFAFF},    // CJK compatibility ideographs
    {0x20000, 0x3FFFF},  // CJK extensions B ..
};

template <size_t N>
bool In(const Range (&ranges)[N], char32_t cp) {
  const Range* it =
      std::upper_bound(ranges, ranges + N, cp,
                       [](char32_t c, const Range& r) { return c < r.lo; });
  return it != ranges && cp <= (it - 1)->hi;
}

Kind Classify(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
                   (cp >= 'A' && cp <= 'Z')
               ? Kind::kLetter
               : Kind::kSeparator;
  }
  if (cp == kInvalid || In(kSeparators, cp)) return Kind::kSeparator;
  if (In(kIdeographs, cp)) return Kind::kIdeograph;
  return Kind::kLetter;
}

// Unicode's simple lower-case mapping for the scripts text.h names.
char32_t Lower(char32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  if (c < 0x100) return c >= 0xC0 && c <= 0xDE && c != 0xD7 ? c + 32 : c;
  if (c < 0x180) {  // Latin Extended-A: mostly upper/lower pairs
    if (c == 0x130) return 'i';
    if (c == 0x178) return 0xFF;
    if (c == 0x17F) return 's';  // long s folds to s
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
      return c | 1;
    }
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
      return c % 2 == 1 ? c + 1 : c;
    }
    return c;
  }
  if (c >= 0x370 && c < 0x400) {  // Greek
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 0x25;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 0x3F;
    if (c == 0x3C2) return 0x3C3;  // final sigma
    return c;
  }
  if (c >= 0x400 && c < 0x530) {  // Cyrillic and its supplement
    if (c <= 0x40F) return c + 0x50;
    if (c <= 0x42F) return c + 0x20;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) ||
        (c >= 0x4D0 && c <= 0x52F)) {
      return c | 1;
    }
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE) return c % 2 == 1 ? c + 1 : c;
    return c;
  }
  if (c >= 0x531 && c <= 0x556) return c + 0x30;  // Armenian
  if (c >= 0x1E00 && c <= 0x1EFF) {               // Latin Extended Additional
    if (c == 0x1E9E) return 0xDF;                 // capital sharp s
    if (c >= 0x1E96 && c <= 0x1E9F) return c;
    return c | 1;
  }
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;  // fullwidth A-Z
  return c;
}

// Lucene's classic English stop set, sorted.
constexpr std::array<std::string_view, 33> kStopWords = {
    "a",    "an",   "and",  "are",  "as",   "at",    "be",   "but",   "by",
    "for",  "if",   "in",   "into", "is",   "it",    "no",   "not",   "of",
    "on",   "or",   "such", "that", "the",  "their", "then", "there", "these",
    "they", "this", "to",   "was",  "will", "with"};

}  // namespace

bool WordReader::Next(std::string* word) {
  word->clear();
  while (pos_ < text_.size()) {
    const size_t at = pos_;
    const char32_t cp = Decode(text_, &pos_);
    const Kind kind = Classify(cp);
    if (kind == Kind::kSeparator) {
      if (!word->empty()) return true;
      continue;
    }
    if (kind == Kind::kIdeograph) {
      if (!word->empty()) {
        pos_ = at;  // the ideograph starts the next word
        return true;
      }
      Encode(cp, word);
      return true;
    }
    Encode(Lower(cp), word);
  }
  return !word->empty();
}

bool IsEnglishStopWord(std::string_view word) {
  return std::binary_search(kStopWords.begin(), kStopWords.end(), word);
}

std::vector<std::string> Words(std::string_view text, bool drop_stop_words) {
  std::vector<std::string> out;
  WordReader reader(text);
  std::string w;
  while (reader.Next(&w)) {
    if (drop_stop_words && IsEnglishStopWord(w)) continue;
    out.push_back(w);
  }
  return out;
}

std::vector<std::string> DistinctWords(std::string_view text) {
  std::vector<std::string> out = Words(text);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> Bm25QueryWords(std::string_view query) {
  std::vector<std::string> all = DistinctWords(query), kept;
  for (auto& w : all) {
    if (!IsEnglishStopWord(w)) kept.push_back(w);
  }
  return kept.empty() ? all : kept;
}

Status CheckWordCount(std::string_view what, size_t distinct_words) {
  if (distinct_words == 0) {
    return Status::InvalidArgument(
        std::string(what) + " needs at least one word (letters or digits)");
  }
  if (distinct_words > kMaxTextWords) {
    return Status::InvalidArgument(
        std::string(what) + " has " + std::to_string(distinct_words) +
        " distinct words; at most " + std::to_string(kMaxTextWords));
  }
  return Status::OK();
}

bool ContainsAllWords(std::string_view text,
                      const std::vector<std::string>& words) {
  if (words.empty()) return true;
  uint64_t missing =
      words.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << words.size()) - 1;
  thread_local std::string w;
  WordReader reader(text);
  while (reader.Next(&w)) {
    auto it = std::lower_bound(words.begin(), words.end(), w);
    if (it != words.end() && *it == w) {
      missing &= ~(uint64_t{1} << (it - words.begin()));
      if (missing == 0) return true;
    }
  }
  return false;
}

}  // namespace proximadb::filter
