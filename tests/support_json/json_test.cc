// The test-vector JSON reader: every kind of value, escapes, and strict refusal of bad text.
#include "support/json.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::testing::json {
namespace {

Value MustParse(std::string_view text) {
  Result<Value> r = Parse(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " for: " << text;
  return r.ok() ? std::move(r).value() : Value();
}

TEST(JsonTest, Literals) {
  EXPECT_TRUE(MustParse("null").is_null());
  EXPECT_TRUE(MustParse("true").AsBool());
  Value f = MustParse(" false ");
  EXPECT_TRUE(f.is_bool());
  EXPECT_FALSE(f.AsBool());
}

TEST(JsonTest, Numbers) {
  EXPECT_EQ(MustParse("0").AsInt(), 0);
  EXPECT_EQ(MustParse("-0").AsNumber(), 0.0);
  EXPECT_EQ(MustParse("42").AsInt(), 42);
  EXPECT_EQ(MustParse("-17").AsInt(), -17);
  EXPECT_DOUBLE_EQ(MustParse("3.25").AsNumber(), 3.25);
  EXPECT_DOUBLE_EQ(MustParse("1e3").AsNumber(), 1000.0);
  EXPECT_DOUBLE_EQ(MustParse("-2.5E-2").AsNumber(), -0.025);
  EXPECT_EQ(MustParse("9007199254740992").AsInt(), 9007199254740992LL);
}

TEST(JsonTest, StringsAndEscapes) {
  EXPECT_EQ(MustParse(R"("")").AsString(), "");
  EXPECT_EQ(MustParse(R"("abc")").AsString(), "abc");
  EXPECT_EQ(MustParse(R"("a\"b\\c\/d\b\f\n\r\t")").AsString(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(MustParse(R"("\u0041\u00e9\u20AC")").AsString(), "A\xC3\xA9\xE2\x82\xAC");
  // U+1F600 as a surrogate pair.
  EXPECT_EQ(MustParse(R"("\ud83d\ude00")").AsString(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(MustParse(R"("\u0000")").AsString(), std::string(1, '\0'));
  // Raw UTF-8 passes through untouched.
  EXPECT_EQ(MustParse("\"caf\xC3\xA9\"").AsString(), "caf\xC3\xA9");
}

TEST(JsonTest, ArraysAndObjects) {
  Value v = MustParse(R"({"a": [1, 2, {"b": null}], "c": {}, "d": [], "e": "x"})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.size(), 4u);
  EXPECT_EQ(v["a"].size(), 3u);
  EXPECT_EQ(v["a"][1].AsInt(), 2);
  EXPECT_TRUE(v["a"][2]["b"].is_null());
  EXPECT_NE(v["a"][2].Find("b"), nullptr);
  EXPECT_TRUE(v["c"].is_object());
  EXPECT_EQ(v["c"].size(), 0u);
  EXPECT_TRUE(v["d"].is_array());
  EXPECT_EQ(v["e"].AsString(), "x");
  // Member order is file order.
  ASSERT_EQ(v.AsObject().size(), 4u);
  EXPECT_EQ(v.AsObject()[0].first, "a");
  EXPECT_EQ(v.AsObject()[3].first, "e");
}

TEST(JsonTest, MissingAndMistypedReadAsEmpty) {
  Value v = MustParse(R"({"n": 5, "s": "t"})");
  EXPECT_EQ(v.Find("nope"), nullptr);
  EXPECT_TRUE(v["nope"].is_null());
  EXPECT_TRUE(v["n"][7].is_null());
  EXPECT_EQ(v["n"].AsString(), "");
  EXPECT_EQ(v["s"].AsInt(), 0);
  EXPECT_TRUE(v["s"].AsArray().empty());
  EXPECT_TRUE(v["s"]["x"].is_null());
}

TEST(JsonTest, RefusesMalformedText) {
  const char* bad[] = {
      "",
      "   ",
      "{",
      "[1,]",
      "{\"a\":1,}",
      "[1 2]",
      "{\"a\" 1}",
      "{a:1}",
      "01",
      "-",
      "1.",
      ".5",
      "1e",
      "+1",
      "tru",
      "nul",
      "\"abc",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"a\nb\"",
      "1 2",
      "[] x",
      "{\"a\":1,\"a\":2}",
      "1e999",
      "'a'",
      "[",
      "]",
  };
  for (const char* text : bad) {
    Result<Value> r = Parse(text);
    EXPECT_FALSE(r.ok()) << "accepted: " << text;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorrupt) << text;
    }
  }
}

TEST(JsonTest, RefusesDeepNestingWithoutCrashing) {
  std::string deep(100000, '[');
  Result<Value> r = Parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too deep"), std::string::npos);

  std::string ok_depth = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(Parse(ok_depth).ok());
}

TEST(JsonTest, ErrorsNameTheOffset) {
  Result<Value> r = Parse("[1, 2, x]");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 7"), std::string::npos) << r.status().message();
}

TEST(JsonTest, ParseFileReadsAVectorFileAndReportsAMissingOne) {
  Result<Value> r = ParseFile(PARLEY_VECTORS_DIR "/wycheproof/x25519_test.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["algorithm"].AsString(), "XDH");
  EXPECT_EQ((*r)["numberOfTests"].AsInt(), 518);

  Result<Value> missing = ParseFile(PARLEY_VECTORS_DIR "/no/such/file.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace parley::testing::json
