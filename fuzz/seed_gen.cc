// Writes the seed corpora of the fuzz targets: fuzz_seed_gen DIR writes DIR/<target>/<name>.
// Seeds are small valid inputs (and a few near misses) that start each fuzzer deep in the
// code it exercises; they depend only on the fixed keys of fuzz_support.h.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_support.h"

namespace parley::fuzz {
namespace {

using Blob = std::vector<std::uint8_t>;

void Put(const std::string& dir, const std::string& target, const std::string& name, const Blob& bytes) {
  std::filesystem::create_directories(dir + "/" + target);
  WriteFileOrDie(dir + "/" + target + "/" + name, bytes);
}

Blob Prefixed(std::uint8_t first, const std::string& bytes) {
  Blob b{first};
  b.insert(b.end(), bytes.begin(), bytes.end());
  return b;
}

std::string RecordId(std::uint8_t fill) { return std::string(16, static_cast<char>(fill)); }

std::vector<pb::ChangeBody> SampleBodies() {
  std::vector<pb::ChangeBody> bodies;
  {
    pb::ChangeBody b;  // create a record and set two fields
    b.set_hlc(1'750'000'000'000ULL << 16);
    b.set_device_name("field phone");
    pb::Op* create = b.add_ops();
    create->set_record(RecordId(1));
    create->mutable_create()->set_type("note");
    pb::Op* set = b.add_ops();
    set->set_record(RecordId(1));
    set->mutable_set()->set_field("text");
    set->mutable_set()->set_value("session notes");
    pb::Op* set2 = b.add_ops();
    set2->set_record(RecordId(1));
    set2->mutable_set()->set_field("author");
    set2->mutable_set()->set_value("organizer");
    bodies.push_back(b);
  }
  {
    pb::ChangeBody b;  // supersede an earlier op of another author, then delete
    b.set_hlc((1'750'000'000'000ULL << 16) + 5);
    b.add_authors(std::string(32, '\x44'));
    pb::Op* set = b.add_ops();
    set->set_record(RecordId(1));
    set->mutable_set()->set_field("text");
    set->mutable_set()->set_value("revised");
    pb::OpId* sup = set->mutable_set()->add_supersedes();
    sup->set_author(1);
    sup->set_seq(1);
    sup->set_index(1);
    pb::Op* del = b.add_ops();
    del->set_record(RecordId(2));
    pb::OpId* dsup = del->mutable_remove()->add_supersedes();
    dsup->set_author(0);
    dsup->set_seq(1);
    dsup->set_index(0);
    bodies.push_back(b);
  }
  {
    pb::ChangeBody b;  // membership
    b.set_hlc((1'750'000'000'000ULL << 16) + 9);
    pb::Op* add = b.add_ops();
    add->mutable_add_member()->set_identity(std::string(32, '\x55'));
    add->mutable_add_member()->set_kx_public(std::string(32, '\x66'));
    add->mutable_add_member()->set_role("member");
    add->mutable_add_member()->set_name("second phone");
    bodies.push_back(b);
  }
  return bodies;
}

void ChangeDecodeSeeds(const std::string& dir) {
  int n = 0;
  std::string prev;
  std::uint64_t seq = 1;
  for (const pb::ChangeBody& body : SampleBodies()) {
    auto change = RequireValue(SealWithFixedKeys(body, seq, crypto::AsBytes(prev)), "seal seed");
    auto checked = RequireValue(log::CheckChange(change, FixedVault()), "check seed");
    prev.assign(reinterpret_cast<const char*>(checked.id.data()), checked.id.size());
    ++seq;
    Put(dir, "fuzz_change_decode", "change-" + std::to_string(n), Prefixed(0, change.SerializeAsString()));
    Put(dir, "fuzz_change_decode", "body-" + std::to_string(n), Prefixed(1, body.SerializeAsString()));
    ++n;
  }
  Put(dir, "fuzz_change_decode", "empty-change", Blob{0});
  Put(dir, "fuzz_change_decode", "empty-body", Blob{1});
}

void StoreOpenSeeds(const std::string& dir) {
  // flags byte, then 5-byte edits: kind, offset (24-bit LE), value.
  Put(dir, "fuzz_store_open", "intact-fast", Blob{0});
  Put(dir, "fuzz_store_open", "intact-full", Blob{31});
  Put(dir, "fuzz_store_open", "flip-db-page1", Blob{0, 0, 0x10, 0x10, 0x00, 0x01});
  Put(dir, "fuzz_store_open", "flip-db-header", Blob{0, 0, 0x05, 0x00, 0x00, 0x80});
  Put(dir, "fuzz_store_open", "flip-wal-frame", Blob{0, 1, 0x40, 0x00, 0x00, 0x04});
  Put(dir, "fuzz_store_open", "flip-wal-header", Blob{0, 1, 0x08, 0x00, 0x00, 0x01});
  Put(dir, "fuzz_store_open", "truncate-wal-mid", Blob{0, 5, 0x00, 0x30, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "truncate-db-page", Blob{0, 4, 0x00, 0x10, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "swap-db-pages", Blob{0, 8, 0x01, 0x02, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "swap-wal-frames", Blob{0, 9, 0x00, 0x01, 0x00, 0x00});
  Put(dir, "fuzz_store_open", "grow-db", Blob{0, 6, 0x00, 0x00, 0x00, 0x40});
  Put(dir, "fuzz_store_open", "flip-full", Blob{31, 0, 0x10, 0x20, 0x00, 0x01});
}

void BundleImportSeeds(const std::string& dir) {
  // odd first byte: edits on the valid bundle; even: the whole file.
  Put(dir, "fuzz_bundle_import", "intact", Blob{1});
  Put(dir, "fuzz_bundle_import", "flip-header", Blob{1, 0, 0x0a, 0x00, 0x00, 0x01});
  Put(dir, "fuzz_bundle_import", "flip-payload", Blob{1, 0, 0xa0, 0x00, 0x00, 0x40});
  Put(dir, "fuzz_bundle_import", "truncate", Blob{1, 2, 0x80, 0x00, 0x00, 0x00});
  Put(dir, "fuzz_bundle_import", "append", Blob{1, 3, 0x00, 0x00, 0x00, 0x10});
  Put(dir, "fuzz_bundle_import", "splice", Blob{1, 4, 0x10, 0x00, 0x00, 0x90});
  Put(dir, "fuzz_bundle_import", "raw-empty", Blob{0});
  Put(dir, "fuzz_bundle_import", "raw-text", Prefixed(0, "not a bundle at all"));
}

}  // namespace
}  // namespace parley::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen CORPUS_DIR\n");
    return 2;
  }
  parley::fuzz::InitOnce();
  const std::string dir = argv[1];
  parley::fuzz::ChangeDecodeSeeds(dir);
  parley::fuzz::StoreOpenSeeds(dir);
  parley::fuzz::BundleImportSeeds(dir);
  return 0;
}
