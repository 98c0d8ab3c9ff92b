// Change bundles: one file that carries changes from one device of a vault to another
// without a network (USB stick, messaging app). See docs/bundle-format.md.
//
// A bundle is encrypted under the vault's current epoch key and signed by the exporting
// device's identity key; its exact length is recorded inside, so truncation is detected.
// Import verifies the whole file (length, signature, decryption, then every change) before
// anything is applied, and applies all its changes in one transaction: a bad bundle is
// refused whole, and importing the same bundle twice changes nothing.
//
// Ownership: the calls borrow everything they are given. Thread safety: the thread that
// owns the Replica and Store. Failures: Code::kCorrupt (truncated, tampered, or not a
// bundle, or larger than kMaxBundleFileSize), Code::kInvalidArgument (a bundle of another
// vault; an import source that is not a regular file; an export destination refused by
// CheckBundleTarget), Code::kPermissionDenied (no key for the bundle's epoch),
// Code::kDiskFull / kIoError from the file system (export leaves no file behind), and the
// errors of Replica::Apply.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "parley/core/replica.h"
#include "parley/core/store.h"
#include "parley/platform/env.h"

namespace parley::bundle {

struct ExportSummary {
  std::size_t changes = 0;  // changes written
  std::uint64_t bytes = 0;  // size of the file
};

// Largest bundle file accepted by import (bytes); the whole file is held in memory.
inline constexpr std::uint64_t kMaxBundleFileSize = 1ULL << 30;

// Code::kInvalidArgument, with nothing written, when `path` may not receive a bundle: it
// exists and is not a regular file (a device node, a FIFO, a directory), or it is, or its
// directory is, inside one of `protected_dirs` (a store's data or key-store directory).
// Files are compared by device and inode, so symlinks, hard links and ".." do not hide them.
Status CheckBundleTarget(Env& env, const std::string& path,
                         std::span<const std::string> protected_dirs);

// Writes the changes held by `replica` that a device knowing `known` may lack (every
// change when `known` is empty) to `path`, atomically (Env::WriteFileAtomic), after
// CheckBundleTarget with the store's data directory: the store's own files, device nodes
// and other non-regular files are refused (Code::kInvalidArgument) and nothing changes.
// REQUIRES: the store has a vault; `replica` was opened over `store`.
Result<ExportSummary> ExportBundle(log::Replica& replica, store::Store& store, Env& env,
                                   const std::string& path, const log::VersionVector& known = {});

// What a device holds, as a code another device's ExportBundle can use to write only what is
// missing: "parley-state:" + checked base32 (checked_code.h, label "parley/state/v1") of
// (author identity key (32) || highest contiguous seq (8, little-endian))*, or of one zero
// byte when nothing is held. DecodeStateCode: Code::kInvalidArgument for a bad code.
Result<std::string> EncodeStateCode(const log::VersionVector& known);
Result<log::VersionVector> DecodeStateCode(std::string_view code);

// Reads, verifies and applies the bundle at `path`. The report counts new, duplicate and
// pending changes and names gaps, as Replica::Apply does. `path` must be a regular file
// (Code::kInvalidArgument otherwise: a FIFO or a device such as /dev/zero is not read) of at
// most kMaxBundleFileSize bytes (Code::kCorrupt otherwise, read no further than that).
Result<log::ApplyReport> ImportBundle(log::Replica& replica, store::Store& store, Env& env,
                                      const std::string& path);

}  // namespace parley::bundle
