#include "filter/column_match.h"

#include "filter/program.h"

namespace proximadb::filter {

Cell CellAt(const nlohmann::json& doc, const std::vector<std::string>& path) {
  Cell cell;
  const nlohmann::json* at = &doc;
  for (const std::string& seg : path) {
    if (at->is_array()) return cell;  // its elements may reach: unknown
    if (!at->is_object()) {
      cell.kind = Cell::Kind::kAbsent;
      return cell;
    }
    auto it = at->find(seg);
    if (it == at->end()) {
      cell.kind = Cell::Kind::kAbsent;
      return cell;
    }
    at = &*it;
  }
  if (at->is_array() || at->is_object()) return cell;
  cell.kind = Cell::Kind::kScalar;
  cell.value = Value::Of(*at);
  return cell;
}

ColumnMatcher::ColumnMatcher(const Filter& f, const RowCells& cells)
    : filter_(f), cells_(cells) {
  const Program* p = f.program();
  if (p == nullptr) return;
  slots_.assign(p->leaves.size(), -1);
  std::string dotted;
  for (size_t i = 0; i < p->leaves.size(); ++i) {
    const Leaf& leaf = p->leaves[i];
    if (IsGeo(leaf.op)) continue;  // points are objects, never cells
    dotted.clear();
    for (const std::string& seg : leaf.path) {
      if (!dotted.empty()) dotted += '.';
      dotted += seg;
    }
    slots_[i] = cells.Slot(dotted);
    if (slots_[i] >= 0) ++bound_;
  }
}

namespace {

// Kleene's three-valued logic over the program's tree.
Tri Eval(const Program& p, uint32_t n, const std::vector<int>& slots,
         const RowCells& cells, uint32_t row) {
  const Node& node = p.nodes[n];
  switch (node.op) {
    case Op::kTrue:
      return Tri::kYes;
    case Op::kAnd: {
      Tri all = Tri::kYes;
      for (uint32_t i = 0; i < node.count; ++i) {
        const Tri t = Eval(p, p.children[node.first + i], slots, cells, row);
        if (t == Tri::kNo) return Tri::kNo;
        if (t == Tri::kUnknown) all = Tri::kUnknown;
      }
      return all;
    }
    case Op::kOr: {
      Tri any = Tri::kNo;
      for (uint32_t i = 0; i < node.count; ++i) {
        const Tri t = Eval(p, p.children[node.first + i], slots, cells, row);
        if (t == Tri::kYes) return Tri::kYes;
        if (t == Tri::kUnknown) any = Tri::kUnknown;
      }
      return any;
    }
    case Op::kNot: {
      const Tri t = Eval(p, p.children[node.first], slots, cells, row);
      return t == Tri::kUnknown ? t : (t == Tri::kYes ? Tri::kNo : Tri::kYes);
    }
    default:
      break;
  }
  const int slot = slots[node.first];
  if (slot < 0) return Tri::kUnknown;
  const Cell cell = cells.Get(slot, row);
  const Leaf& leaf = p.leaves[node.first];
  bool result = false;
  switch (cell.kind) {
    case Cell::Kind::kUnknown:
      return Tri::kUnknown;
    case Cell::Kind::kAbsent:
      result = LeafResult(leaf, /*exists=*/false, /*any_positive=*/false);
      break;
    case Cell::Kind::kScalar: {
      const bool positive =
          leaf.op != Op::kExists && PositiveTest(leaf, cell.value);
      result = LeafResult(leaf, /*exists=*/true, positive);
      break;
    }
  }
  return result ? Tri::kYes : Tri::kNo;
}

}  // namespace

Tri ColumnMatcher::Match(uint32_t row) const {
  const Program* p = filter_.program();
  if (p == nullptr) return Tri::kYes;
  if (bound_ == 0) return Tri::kUnknown;
  return Eval(*p, p->root, slots_, cells_, row);
}

}  // namespace proximadb::filter
