// Times in human output (apps/parley/table.h): the local zone from TZ with its offset, or UTC
// when --utc asked for it; stored ISO-8601 timestamps are shown the same way.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "table.h"

namespace parley::cli {
namespace {

// 2025-03-14T09:30:00Z
constexpr std::int64_t kMs = 1741944600000;

class TimeFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz, had_ = true;
  }
  void TearDown() override {
    if (had_) {
      setenv("TZ", saved_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
    SetTimeZone(TimeZone::kLocal);
  }
  static void Zone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }
  std::string saved_;
  bool had_ = false;
};

TEST_F(TimeFormat, LocalTimeWithItsOffsetByDefault) {
  Zone("Asia/Kolkata");
  EXPECT_EQ(FormatMsTime(kMs), "2025-03-14 15:00 +05:30");
  Zone("America/Mexico_City");
  EXPECT_EQ(FormatMsTime(kMs), "2025-03-14 03:30 -06:00");
  // A POSIX TZ string needs no tz database: UTC-05:30 is five and a half hours east.
  Zone("XYZ-05:30");
  EXPECT_EQ(FormatMsTime(kMs), "2025-03-14 15:00 +05:30");
  Zone("UTC0");
  EXPECT_EQ(FormatMsTime(kMs), "2025-03-14 09:30 +00:00");
}

TEST_F(TimeFormat, UtcWhenAskedWhateverTheZone) {
  Zone("Asia/Kolkata");
  SetTimeZone(TimeZone::kUtc);
  EXPECT_EQ(FormatMsTime(kMs), "2025-03-14 09:30 UTC");
  EXPECT_EQ(FormatHlcTime(static_cast<std::uint64_t>(kMs) << 16 | 7), "2025-03-14 09:30 UTC");
}

TEST_F(TimeFormat, TheDateCanChangeWithTheZone) {
  // 2025-03-14T23:00:00Z is already the 15th in Kolkata.
  Zone("Asia/Kolkata");
  EXPECT_EQ(FormatMsTime(1741993200000), "2025-03-15 04:30 +05:30");
}

TEST_F(TimeFormat, StoredTimestampsAreShownInTheSameZone) {
  Zone("Asia/Kolkata");
  EXPECT_EQ(FormatStoredTime("2025-03-14T09:30:00Z"), "2025-03-14 15:00 +05:30");
  SetTimeZone(TimeZone::kUtc);
  EXPECT_EQ(FormatStoredTime("2025-03-14T09:30:00Z"), "2025-03-14 09:30 UTC");
  EXPECT_EQ(FormatStoredTime("last Tuesday"), "last Tuesday");
  EXPECT_EQ(FormatStoredTime(""), "");
}

}  // namespace
}  // namespace parley::cli
