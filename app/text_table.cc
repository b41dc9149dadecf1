#include "app/text_table.h"

#include <algorithm>

namespace protean::cli {

std::string TextTable(const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& right_aligned) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      const std::string pad(width[i] - rows[n][i].size(), ' ');
      const bool right = i < right_aligned.size() && right_aligned[i];
      line += right ? pad + rows[n][i] : rows[n][i] + pad;
      if (i + 1 < rows[n].size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (n == 0) out += std::string(line.size(), '-') + "\n";
  }
  return out;
}

}  // namespace protean::cli
