#pragma once
// A plain-text table for the CLI (what Protean prints with rich's Table):
// a header row, a dashed rule, then the rows; columns padded to their widest
// cell and separated by two spaces; `right_aligned[i]` aligns column i right.

#include <string>
#include <vector>

namespace protean::cli {

std::string TextTable(const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& right_aligned);

}  // namespace protean::cli
