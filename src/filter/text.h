// The words of a text, as full-text matching sees them: the one tokenizer of
// the `$text` filter condition and of the `text` payload index (and of BM25
// scoring when it reads a text field), so a word found by one is found by
// all. docs/FILTERS.md ("Full-text: $text") states the rules for users.
//
// A word is a maximal run of letters, digits and combining marks, lower-cased:
//  * ASCII letters and digits; every code point from U+0080 up that is not
//    punctuation, a symbol, a space or a control (the ranges are listed in
//    text.cc) counts as a letter, so accented Latin, Greek, Cyrillic, Arabic,
//    Hebrew, Devanagari, Hangul ... words are kept whole;
//  * Han ideographs, Hiragana and Katakana (written without spaces) are one
//    word per character;
//  * lower-casing is Unicode's simple mapping for Latin, Greek (final sigma
//    folds to sigma), Cyrillic, Armenian and fullwidth Latin; other scripts
//    have no case here;
//  * bytes that are not valid UTF-8 separate words, like punctuation.
// No stemming and no Unicode normalization: "runs" is not "run", and a
// precomposed "é" is not "e" + U+0301.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::filter {

// Reads the words of `text` one at a time without allocating per word.
class WordReader {
 public:
  explicit WordReader(std::string_view text) : text_(text) {}
  // The next word, lower-cased, in *word (its previous content replaced);
  // false at the end of the text.
  bool Next(std::string* word);

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The 33 English stop words of Lucene's classic analyzer ("a", "and",
// "the", ...), which `stop_words` options drop; lower-case input.
bool IsEnglishStopWord(std::string_view word);

// Every word of `text` in order (repeats kept), English stop words dropped
// when `drop_stop_words`.
std::vector<std::string> Words(std::string_view text,
                               bool drop_stop_words = false);

// The distinct words of `text`, sorted bytewise: a `$text` operand.
std::vector<std::string> DistinctWords(std::string_view text);

// The words a BM25 query scores with: the distinct words of `query`,
// sorted, English stop words left out unless nothing else remains.
std::vector<std::string> Bm25QueryWords(std::string_view query);

// A `$text` operand's or a BM25 query's distinct words: at least one, at
// most kMaxTextWords; the message starts with `what` ("$text", "text").
Status CheckWordCount(std::string_view what, size_t distinct_words);

// Does `text` contain every one of `words` (sorted, distinct, at most 64)
// as a word?
bool ContainsAllWords(std::string_view text,
                      const std::vector<std::string>& words);

}  // namespace proximadb::filter
