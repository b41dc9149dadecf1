#pragma once
// SHA-256 (FIPS 180-4), self-contained so core/ links no crypto library.
// Used for the checksum of Protean's message envelope
// (hashlib.sha256(text.encode("utf-8")).hexdigest()), once per message
// decoded: on an x86-64 CPU with the SHA extensions the compression runs on
// them (chosen once, at first use), else in portable C++; the digest is the same.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace protean::internal {

std::array<uint8_t, 32> Sha256(std::string_view data);
// The portable compression whatever the CPU, and whether Sha256 runs on the
// SHA extensions: for tests that hold the two to the same digests.
std::array<uint8_t, 32> Sha256Portable(std::string_view data);
bool Sha256IsAccelerated();
// Lower-case hex of the digest, as hashlib's hexdigest() writes it.
std::string Sha256Hex(std::string_view data);

}  // namespace protean::internal
