// parley-bench: the figures of docs/benchmarks.md, one line each ("name value unit") on
// standard output; configuration and progress on standard error.
//
//   parley-bench [--quick] [--filter NAME] [--scratch DIR] [--relay PATH]
#include <cstdio>
#include <cstring>
#include <string>

#include "figures.h"
#include "parley/core/crypto.h"
#include "sync_device.h"
#include "sync_figures.h"

namespace {

void Usage() {
  std::fputs(
      "usage: parley-bench [--quick] [--filter NAME] [--scratch DIR] [--relay PATH]\n"
      "  --quick        small workloads: a fast smoke run, figures not comparable\n"
      "  --filter NAME  only figures whose name contains NAME\n"
      "  --scratch DIR  where scratch stores are made (default $TMPDIR or /tmp)\n"
      "  --relay PATH   the parley-relay binary (default: the one beside parley-bench)\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && argv[1] == parley::bench::kPullChildFlag)
    return parley::bench::PullChildMain(argc, argv);
  parley::bench::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
    } else if ((arg == "--filter" || arg == "--scratch" || arg == "--relay") && i + 1 < argc) {
      (arg == "--filter"    ? options.filter
       : arg == "--scratch" ? options.scratch
                            : options.relay) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else {
      Usage();
      return 2;
    }
  }
  parley::bench::Check(parley::crypto::InitCrypto(), "init crypto");
  if (options.quick) parley::bench::Note("quick run: small workloads, figures not comparable");

  parley::bench::RunLocalFieldUpdates(options);
  parley::bench::RunSingleChangeCommit(options);
  parley::bench::RunPlainCommit(options);
  parley::bench::RunVfsOverhead(options);
  parley::bench::RunUnlock(options);
  parley::bench::RunWipe(options);
  parley::bench::RunSearch(options);
  parley::bench::RunImport(options);
  parley::bench::RunSyncFreshDevice(options);
  parley::bench::RunSyncFreshDeviceSmall(options);
  parley::bench::RunRelayPush(options);
  parley::bench::RunCapiSync(options);
  return 0;
}
