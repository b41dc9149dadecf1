#pragma once
// SHA-256 (FIPS 180-4), self-contained so core/ links no crypto library.
// Used for the checksum of Protean's message envelope
// (hashlib.sha256(text.encode("utf-8")).hexdigest()).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace protean::internal {

std::array<uint8_t, 32> Sha256(std::string_view data);
// Lower-case hex of the digest, as hashlib's hexdigest() writes it.
std::string Sha256Hex(std::string_view data);

}  // namespace protean::internal
