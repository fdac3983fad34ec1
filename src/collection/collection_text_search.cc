// BM25 text search (TextSearchRequest) over the memtables and segments.
//
// Two passes under one shared lock: the first gathers, per source, the
// corpus statistics (rows holding words, words in all, rows per query word)
// and the candidate rows (those holding some query word, with their length
// and word counts); the second scores the live candidates that pass the
// filter and keeps the best k. A segment whose payload indexes hold a
// `text` index on the field answers both from posting lists; any other
// source (memtables, segments without that index yet) reads the field's
// strings from the stored metadata and splits them with the same
// tokenizer, so the answer is the same either way.
#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "collection/collection_impl.h"
#include "collection/payload_index.h"
#include "collection/point_check.h"
#include "filter/filter.h"
#include "filter/index_plan.h"
#include "filter/path_values.h"
#include "filter/text.h"

namespace proximadb {

namespace {

// Okapi BM25's usual constants (Lucene's defaults).
constexpr double kBm25K1 = 1.2;
constexpr double kBm25B = 0.75;

// The candidate rows of one source: rows holding some query word.
struct TextCandidates {
  std::vector<uint32_t> rows;
  std::vector<uint32_t> lengths;  // per candidate: its words at the field
  std::vector<uint32_t> counts;   // per candidate, per query word
};

// Reads one row's strings at `path`: how many words, and how often each of
// `words` (sorted) occurs.
uint32_t CountWords(std::string_view metadata,
                    const std::vector<std::string>& path,
                    const std::vector<std::string>& words, uint32_t* counts) {
  uint32_t length = 0;
  std::string w;
  filter::ForEachScalarAtPathText(metadata, path, [&](const filter::Value& v) {
    if (v.type != filter::Value::Type::kString) return;
    filter::WordReader reader(v.s);
    while (reader.Next(&w)) {
      ++length;
      auto it = std::lower_bound(words.begin(), words.end(), w);
      if (it != words.end() && *it == w) ++counts[it - words.begin()];
    }
  });
  return length;
}

// Adds one row to the statistics and, when it holds a query word, to the
// candidates.
void AddRow(uint32_t row, uint32_t length, const uint32_t* counts,
            size_t nwords, TextCorpusStats* stats, TextCandidates* out) {
  if (length == 0) return;
  ++stats->docs;
  stats->words += length;
  bool any = false;
  for (size_t i = 0; i < nwords; ++i) {
    if (counts[i] > 0) {
      ++stats->doc_freq[i];
      any = true;
    }
  }
  if (!any) return;
  out->rows.push_back(row);
  out->lengths.push_back(length);
  out->counts.insert(out->counts.end(), counts, counts + nwords);
}

// A segment's candidates from its text index: the union of the words'
// posting lists, merged by row.
void FromTextIndex(const SegmentPayloadIndex& idx, std::string_view field,
                   const std::vector<uint32_t>& lengths,
                   const std::vector<std::string>& words,
                   TextCorpusStats* stats, TextCandidates* out) {
  struct Hit {
    uint32_t row, word, count;
  };
  std::vector<Hit> hits;
  for (size_t i = 0; i < words.size(); ++i) {
    const uint32_t *rows, *tfs;
    size_t n = 0;
    idx.TextPosting(field, words[i], &rows, &tfs, &n);
    stats->doc_freq[i] += n;
    for (size_t j = 0; j < n; ++j) {
      hits.push_back({rows[j], static_cast<uint32_t>(i), tfs[j]});
    }
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.row < b.row || (a.row == b.row && a.word < b.word);
  });
  for (size_t j = 0; j < hits.size();) {
    const uint32_t row = hits[j].row;
    out->rows.push_back(row);
    out->lengths.push_back(lengths[row]);
    const size_t at = out->counts.size();
    out->counts.resize(at + words.size(), 0);
    for (; j < hits.size() && hits[j].row == row; ++j) {
      out->counts[at + hits[j].word] = hits[j].count;
    }
  }
}

}  // namespace

Result<SearchResult> CollectionImpl::TextSearch(const TextSearchRequest& req) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  PDB_RETURN_IF_ERROR(CheckTextSearchRequest(req));
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    PDB_ASSIGN_OR_RETURN(std::optional<SearchResult> r,
                         TextSearchOnce(req, filt, pins, &missing, nullptr));
    if (r) return std::move(*r);
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
}

Result<TextCorpusStats> CollectionImpl::TextStats(
    const TextSearchRequest& req) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  TextSearchRequest only = req;
  only.k = 1;  // unused: the statistics do not depend on it
  only.stats.reset();
  PDB_RETURN_IF_ERROR(CheckTextSearchRequest(only));
  TextCorpusStats stats;
  std::vector<LiveSegment*> missing;
  PDB_RETURN_IF_ERROR(
      TextSearchOnce(only, filter::Filter(), ColdPins{}, &missing, &stats)
          .status());
  return stats;
}

Result<std::optional<SearchResult>> CollectionImpl::TextSearchOnce(
    const TextSearchRequest& req, const filter::Filter& filt,
    const ColdPins& pins, std::vector<LiveSegment*>* missing,
    TextCorpusStats* stats_only) {
  const std::vector<std::string> words = filter::Bm25QueryWords(req.query);
  const std::vector<std::string> path = filter::SplitPath(req.field);
  const size_t nw = words.size();
  TextCorpusStats stats;
  stats.doc_freq.assign(nw, 0);
  std::vector<uint32_t> counts(nw);

  ReaderLock lock(&state_mu_);
  struct Source {
    Location where;  // kind, mem / seg; row filled per hit
    TextCandidates cand;
  };
  std::vector<Source> sources;
  auto scan = [&](Location where, size_t rows, auto metadata_of) {
    Source s{where, {}};
    for (size_t r = 0; r < rows; ++r) {
      std::fill(counts.begin(), counts.end(), 0);
      const uint32_t len =
          CountWords(metadata_of(r), path, words, counts.data());
      AddRow(static_cast<uint32_t>(r), len, counts.data(), nw, &stats, &s.cand);
    }
    sources.push_back(std::move(s));
  };
  auto from_mem = [&](Memtable* m, Location::Kind kind) {
    scan(Location{kind, m, nullptr, 0, true}, m->rows(),
         [m](size_t r) { return m->metadata(static_cast<uint32_t>(r)); });
  };
  from_mem(mem_.get(), Location::kMemtable);
  if (frozen_) from_mem(frozen_.get(), Location::kFrozen);
  for (const auto& s : segments_) {
    const Location where{Location::kSegment, nullptr, s.get(), 0, true};
    const auto idx = s->payload();
    uint64_t docs = 0, nwords = 0;
    const std::vector<uint32_t>* lengths =
        idx ? idx->TextLengths(req.field, &docs, &nwords) : nullptr;
    if (lengths == nullptr) {
      const auto& seg = *s->seg;
      scan(where, seg.size(),
           [&seg](size_t r) { return seg.metadata_json(r); });
      continue;
    }
    stats.docs += docs;
    stats.words += nwords;
    Source src{where, {}};
    FromTextIndex(*idx, req.field, *lengths, words, &stats, &src.cand);
    sources.push_back(std::move(src));
  }
  if (stats_only != nullptr) {
    *stats_only = std::move(stats);
    return std::optional<SearchResult>(SearchResult{});
  }

  // Score with the collection's statistics (or the coordinator's).
  const TextCorpusStats& use = req.stats ? *req.stats : stats;
  SearchResult result;
  if (use.docs == 0) return std::optional<SearchResult>(std::move(result));
  const double avgdl = static_cast<double>(use.words) / use.docs;
  std::vector<double> idf(nw);
  for (size_t i = 0; i < nw; ++i) {
    const double df = static_cast<double>(std::min(use.doc_freq[i], use.docs));
    idf[i] = std::log(1 + (use.docs - df + 0.5) / (df + 0.5));
  }
  ScoredTopK best(req.k);
  for (const Source& s : sources) {
    const TextCandidates& c = s.cand;
    for (size_t j = 0; j < c.rows.size(); ++j) {
      const uint32_t row = c.rows[j];
      Location loc = s.where;
      loc.row = row;
      std::string_view id, metadata;
      if (loc.kind == Location::kSegment) {
        if (loc.seg->dead(row)) continue;
        id = loc.seg->seg->id(row);
        metadata = loc.seg->seg->metadata_json(row);
      } else {
        if (loc.mem->dead(row)) continue;
        id = loc.mem->id(row);
        metadata = loc.mem->metadata(row);
      }
      if (!filt.MatchesText(metadata)) continue;
      const double norm =
          kBm25K1 * (1 - kBm25B + kBm25B * c.lengths[j] / avgdl);
      double score = 0;
      for (size_t i = 0; i < nw; ++i) {
        const double tf = c.counts[j * nw + i];
        if (tf > 0) score += idf[i] * tf * (kBm25K1 + 1) / (tf + norm);
      }
      best.Offer(ScoredRow{score, id, loc});
    }
  }
  if (!HitsLocked(best.Take(), req.include_vector, req.include_metadata, pins,
                  missing, &result)) {
    return std::optional<SearchResult>();
  }
  result.stats.points_scanned = 0;
  for (const Source& s : sources)
    result.stats.points_scanned += s.cand.rows.size();
  result.stats.sources_searched = sources.size();
  return std::optional<SearchResult>(std::move(result));
}

}  // namespace proximadb
