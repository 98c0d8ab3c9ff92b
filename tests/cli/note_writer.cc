// A writer beside `parley` for the backup test: another process that commits notes to the
// same data directory through the library, one change each, and reports each commit on its
// own line ("committed N") once it is durable, so the test knows what was committed before
// it started a backup.
//   parley_note_writer --data DIR --keystore DIR NEGOTIATION_ID COUNT   (PARLEY_PASSPHRASE)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "parley/device.h"
#include "parley/platform/posix_env.h"

int main(int argc, char** argv) {
  if (argc != 7) return 1;
  const std::string data = argv[2], keystore = argv[4], negotiation = argv[5];
  const int count = std::atoi(argv[6]);
  const char* pass = std::getenv("PARLEY_PASSPHRASE");
  if (pass == nullptr) return 1;
  parley::Env& env = parley::PosixEnv();
  auto keys = parley::NewFileKeyStore(env, keystore);
  parley::DeviceOptions o;
  o.env = &env;
  o.key_store = keys.get();
  o.data_dir = data;
  auto device = parley::Device::Open(o);
  if (!device.ok() || !(*device)->Unlock(pass).ok()) return 2;
  auto id = (*device)->ResolveId(negotiation);
  if (!id.ok()) return 3;
  for (int i = 1; i <= count; ++i) {
    auto note = (*device)->model().AddNote(
        *id, parley::model::NoteInput{std::nullopt, "note " + std::to_string(i)});
    if (!note.ok()) {
      std::fprintf(stderr, "%s\n", note.status().ToString().c_str());
      return 4;
    }
    std::printf("committed %d\n", i);
    std::fflush(stdout);
  }
  return (*device)->Lock().ok() ? 0 : 5;
}
