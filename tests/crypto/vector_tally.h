// Counts what a test-vector run did, and says so: how many cases ran, passed, and were
// skipped (with the reason for each kind of skip). The counts go to standard output and,
// as test properties, into the XML report (`--gtest_output=xml`).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <iostream>
#include <map>
#include <string>

namespace parley::testing {

class VectorTally {
 public:
  explicit VectorTally(std::string name) : name_(std::move(name)) {}

  // Runs one case; it passed when `body` added no failure to the current test.
  template <typename Body>
  void Run(Body&& body) {
    const int before = FailedParts();
    body();
    ++ran_;
    if (FailedParts() == before) ++passed_;
  }
  // One case not executed, and why.
  void Skipped(const std::string& reason) { ++skipped_[reason]; }
  // A note on how a group of cases was judged (e.g. how "acceptable" cases are handled).
  void Note(const std::string& what) { ++notes_[what]; }

  std::size_t ran() const { return ran_; }
  std::size_t passed() const { return passed_; }
  std::size_t skipped() const {
    std::size_t n = 0;
    for (const auto& [reason, count] : skipped_) n += count;
    return n;
  }

  // Prints the summary and records it on the current test.
  void Report() const {
    ::testing::Test::RecordProperty("cases_ran", static_cast<int>(ran_));
    ::testing::Test::RecordProperty("cases_passed", static_cast<int>(passed_));
    ::testing::Test::RecordProperty("cases_skipped", static_cast<int>(skipped()));
    std::cout << "[ vectors  ] " << name_ << ": ran " << ran_ << ", passed " << passed_
              << ", skipped " << skipped() << "\n";
    for (const auto& [reason, count] : skipped_) {
      std::cout << "[ vectors  ]   skipped " << count << ": " << reason << "\n";
    }
    for (const auto& [what, count] : notes_) {
      std::cout << "[ vectors  ]   " << count << " x " << what << "\n";
    }
  }

 private:
  static int FailedParts() {
    const ::testing::TestResult* result =
        ::testing::UnitTest::GetInstance()->current_test_info()->result();
    int failed = 0;
    for (int i = 0; i < result->total_part_count(); ++i) {
      if (result->GetTestPartResult(i).failed()) ++failed;
    }
    return failed;
  }

  std::string name_;
  std::size_t ran_ = 0;
  std::size_t passed_ = 0;
  std::map<std::string, std::size_t> skipped_;
  std::map<std::string, std::size_t> notes_;
};

}  // namespace parley::testing
