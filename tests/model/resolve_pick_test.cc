// Settling a conflict by the number `conflicts` shows (Model::ResolvePick), the fields a type
// has (FieldsOf) named in the errors about a wrong field, and the record counts of `status`.
#include "model_fixture.h"

namespace parley::model {
namespace {

using testutil::Device;

TEST(ModelResolvePick, PicksTheNthVersionAsConflictsNumbersThem) {
  testing::FakeClock clock(testutil::kMay1);
  Device admin(clock, "office laptop", /*with_vault=*/true);
  Device phone(clock, "ana phone", /*with_vault=*/false);
  ASSERT_TRUE(admin.ready() && phone.ready());
  ASSERT_NO_FATAL_FAILURE(admin.Enroll(phone));
  auto n = admin.model().AddNegotiation({"Fresh Harvest Foods", ""});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  auto note = admin.model().AddNote(*n, NoteInput{std::nullopt, "first wording"});
  ASSERT_TRUE(note.ok());
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  clock.AdvanceMs(1000);
  ASSERT_TRUE(admin.model().Resolve(*note, "text", "laptop wording").ok());
  clock.AdvanceMs(1000);
  ASSERT_TRUE(phone.model().Resolve(*note, "text", "phone wording").ok());
  ASSERT_NO_FATAL_FAILURE(admin.SendTo(phone));
  ASSERT_NO_FATAL_FAILURE(phone.SendTo(admin));

  auto conflicts = admin.model().Conflicts();
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  ASSERT_EQ(conflicts->front().values.size(), 2u);
  const std::string second = conflicts->front().values[1].data;

  Status none = admin.model().ResolvePick(*note, "text", 3);
  EXPECT_EQ(none.code(), Code::kInvalidArgument);
  EXPECT_NE(none.message().find("pick 1 to 2"), std::string::npos) << none.message();
  EXPECT_EQ(admin.model().ResolvePick(*note, "text", 0).code(), Code::kInvalidArgument);

  ASSERT_TRUE(admin.model().ResolvePick(*note, "text", 2).ok());
  auto after = admin.model().Conflicts();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  auto record = admin.model().GetOfType(*note, kNote);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->get("text"), second);  // the version, never the literal "2"
}

TEST(ModelResolvePick, AnUnknownFieldNamesTheTypesFields) {
  testing::FakeClock clock(testutil::kMay1);
  Device admin(clock, "office laptop", /*with_vault=*/true);
  ASSERT_TRUE(admin.ready());
  auto n = admin.model().AddNegotiation({"Fresh Harvest Foods", ""});
  ASSERT_TRUE(n.ok());
  auto note = admin.model().AddNote(*n, NoteInput{std::nullopt, "text"});
  ASSERT_TRUE(note.ok());
  for (Status s :
       {admin.model().Resolve(*note, "txt", "x"), admin.model().ResolvePick(*note, "txt", 1)}) {
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_NE(
        s.message().find("unknown field 'txt' for a note (its fields: negotiation, session, text)"),
        std::string::npos)
        << s.message();
  }
  // FieldsOf is exactly what ValidateField accepts.
  for (auto type : RecordTypes()) {
    ASSERT_FALSE(FieldsOf(type).empty()) << type;
    for (auto field : FieldsOf(type)) {
      EXPECT_EQ(ValidateField(type, field, "x").message().find("unknown field"), std::string::npos)
          << type << "." << field;
    }
  }
  EXPECT_TRUE(FieldsOf("spaceship").empty());
}

TEST(ModelRecordCounts, CountsLiveRecordsOfEveryType) {
  testing::FakeClock clock(testutil::kMay1);
  Device admin(clock, "office laptop", /*with_vault=*/true);
  ASSERT_TRUE(admin.ready());
  auto n = admin.model().AddNegotiation({"Fresh Harvest Foods", ""});
  ASSERT_TRUE(n.ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(admin.model().AddNote(*n, NoteInput{std::nullopt, "n"}).ok());
  auto counts = admin.model().RecordCounts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), RecordTypes().size());
  for (const auto& c : *counts) {
    const std::uint64_t expected = c.type == kNegotiation ? 1 : c.type == kNote ? 3 : 0;
    EXPECT_EQ(c.count, expected) << c.type;
  }
}

}  // namespace
}  // namespace parley::model
