// Every limit and default of the relay, in one place. RelayOptions (relay_server.h) takes
// its defaults from here; the rest are fixed limits of the frame handlers, the connection
// and the storage. Limits the sync client must agree with are not here but in
// parley/sync/wire_limits.h (one definition for both sides).
#pragma once

#include <cstddef>
#include <cstdint>

#include "parley/sync/frame_codec.h"
#include "parley/sync/wire_limits.h"

namespace parley::relay::tuning {

// ---- parley-relay serve ----

// Where `parley-relay serve` listens without --listen.
inline constexpr const char* kDefaultServeAddress = "127.0.0.1:4040";
// The smallest --max-frame-bytes accepted (the largest is wire::kMaxWireMessage): room for
// the largest PutEnvelope (a 4096-byte envelope with its vault, recipient and frame fields)
// and, after the sync client's 1024 bytes of push slack, change parts of about 7 KB.
inline constexpr std::uint32_t kMinFrameBytes = 8192;
static_assert(kMinFrameBytes >= wire::kMaxEnvelopeBytes + 1024 + wire::kNoiseTagSize,
              "the smallest frame cap must carry the largest key envelope");

// ---- RelayOptions defaults ----

inline constexpr const char* kDefaultListenHost = "127.0.0.1";
inline constexpr int kDefaultIoThreads = 2;
// Further connections are closed at once.
inline constexpr std::uint32_t kDefaultMaxConnections = 1024;
// Largest transport message accepted: the wire's own cap.
inline constexpr std::uint32_t kDefaultMaxFrameBytes =
    static_cast<std::uint32_t>(wire::kMaxWireMessage);
inline constexpr std::uint32_t kDefaultMaxPushChanges = 1000;
// All connections together reassemble at most this many bytes of large changes at once.
inline constexpr std::uint64_t kDefaultMaxReassemblyBytes = 256ULL << 20;
// Outbound frames waiting for one connection; a client over it is cut.
inline constexpr std::uint32_t kDefaultMaxQueueFrames = 256;
inline constexpr std::uint32_t kDefaultHandshakeTimeoutMs = 10'000;  // handshake and Authenticate
inline constexpr std::uint32_t kDefaultIdleTimeoutMs =
    300'000;  // between frames once authenticated
inline constexpr std::uint32_t kDefaultWriteTimeoutMs = 30'000;  // for one write to complete
inline constexpr std::uint32_t kDefaultShutdownGraceMs = 10'000;
inline constexpr std::uint32_t kDefaultMetricsIntervalMs = 1'000;
// Per-device token bucket: tokens per second and bucket size.
inline constexpr double kDefaultRatePerS = 20'000;
inline constexpr double kDefaultRateBurst = 40'000;
// The per-device buckets kept at most (about 100 bytes each): past it, buckets that have
// refilled go first (forgetting them changes nothing), then the least recently used.
inline constexpr std::uint32_t kDefaultRateMaxBuckets = 65'536;
// New connections per source address (IPv4 address, IPv6 /64): tokens per second and
// bucket size. Each accepted connection costs one; with none left it is closed at once.
// Bounds how fast one address can try handshakes and Authenticate with new identities.
inline constexpr double kDefaultAddressRatePerS = 20;
inline constexpr double kDefaultAddressRateBurst = 200;
// Connections not yet through the handshake and Authenticate: in total (past it the oldest
// is closed to make room) and per source address (past it a new one is closed at once).
inline constexpr std::uint32_t kDefaultMaxUnauthenticated = 256;
inline constexpr std::uint32_t kDefaultMaxUnauthenticatedPerAddress = 16;
// Answers queued for sending, all connections together; past it, connections stop reading
// frames until the writers catch up.
inline constexpr std::uint64_t kDefaultMaxOutboundBytes = 256ULL << 20;
// Change data each vault may hold unless the operator gave it its own quota (0: none).
inline constexpr std::uint64_t kDefaultVaultQuotaBytes = 1ULL << 30;

// ---- Connections ----

// Handshake messages are tiny (48-64 bytes with empty payloads); anything this large is
// not a handshake.
inline constexpr std::size_t kMaxHandshakeMessage = 1024;
// Messages written per gather-write.
inline constexpr std::size_t kMaxWriteBatch = 64;
// Pause after a failed accept (e.g. out of descriptors) before the next one.
inline constexpr std::uint32_t kAcceptRetryPauseMs = 100;
// How often a connection held back by max_outbound_bytes checks for room again.
inline constexpr std::uint32_t kOutboundRoomCheckMs = 5;

// ---- Frame handlers ----

// Largest PullBatch served (a frame less 4 KiB), whatever the client asks for.
inline constexpr std::size_t kMaxPullBytes = wire::kMaxFramePlaintext - 4096;
inline constexpr std::size_t kMaxPullChanges = 5000;
// Room a PullBatch needs besides one change's bytes: the frame id, head_seq, more, the
// StoredChange's relay_seq and the tags and lengths around them (an upper bound).
inline constexpr std::size_t kBatchOverhead = 64;
static_assert(wire::kMaxWholeChangeBytes + kBatchOverhead <= wire::kMaxFramePlaintext,
              "every change pushed whole must fit alone in one PullBatch frame");
// Authors listed in PullBatch.heads at most (about 45 bytes each: they fit one frame with
// room to spare). The pulling device's own head is always among them.
inline constexpr std::size_t kMaxPullHeads = 1000;
// Key envelopes kept per (vault, recipient).
inline constexpr std::size_t kMaxEnvelopesPerDevice = 14;
// An all-vaults GetEnvelopes reads at most this many stored envelopes for the device.
inline constexpr std::size_t kMaxEnvelopesListed = 64;
inline constexpr int kMaxPurgeIds = 1000;
// Retry hints (Error.retry_after_ms) after a storage error, and when the reassembly budget
// or a stored change is unavailable for the moment.
inline constexpr std::uint32_t kRetryAfterStorageErrorMs = 1000;
inline constexpr std::uint32_t kRetryAfterBusyMs = 1000;

// ---- Storage ----

// How long a SQLite storage object waits for another one over the same file.
inline constexpr int kSqliteBusyTimeoutMs = 30'000;

// ---- Metrics and health (RelayOptions::metrics_listen) ----

// The storage figures (vaults, sizes) are read at most this often, on the storage reader.
inline constexpr std::uint32_t kStorageStatsIntervalMs = 5'000;
// GET /healthz answers 503 when storage does not answer its probe within this time.
inline constexpr std::uint32_t kHealthDeadlineMs = 2'000;
// The metrics endpoint's worker threads (connections beyond them wait in the HTTP library's
// queue), and the time it waits for a request's bytes and for the client to take the answer,
// each time (more than the health deadline).
inline constexpr std::size_t kMetricsHttpThreads = 2;
inline constexpr std::uint32_t kMetricsHttpTimeoutS = 5;
static_assert(kMetricsHttpTimeoutS * 1000 > kHealthDeadlineMs, "a health answer must have time");

}  // namespace parley::relay::tuning
