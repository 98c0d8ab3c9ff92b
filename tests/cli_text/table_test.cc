// Display widths, clipping and table alignment (apps/parley/table.h): columns line up in a
// terminal whatever the script, and text is cut between grapheme clusters.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "table.h"

namespace parley::cli {
namespace {

const std::string kCafe = "cafe\xCC\x81";              // "café" with a combining acute accent
const std::string kFamily = "👨\u200D👩\u200D👧\u200D👦";  // one ZWJ sequence
const std::string kFlag = "🇲🇽";                        // two regional indicators
const std::string kHeart = "\u2764\uFE0F";             // text heart + emoji presentation

TEST(DisplayWidth, CountsTerminalColumnsNotBytesOrCodePoints) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("日本語"), 6u);  // wide CJK: two columns each
  EXPECT_EQ(DisplayWidth("한국"), 4u);
  EXPECT_EQ(DisplayWidth(kCafe), 4u);      // the accent takes no column
  EXPECT_EQ(DisplayWidth("Ünïcödé"), 7u);  // precomposed letters: one each
  EXPECT_EQ(DisplayWidth("😀"), 2u);
  EXPECT_EQ(DisplayWidth(kFamily), 2u);  // seven code points, one glyph
  EXPECT_EQ(DisplayWidth(kFlag), 2u);
  EXPECT_EQ(DisplayWidth(kFlag + kFlag), 4u);  // two flags, not one cluster of four indicators
  EXPECT_EQ(DisplayWidth(kHeart), 2u);
  EXPECT_EQ(DisplayWidth("👍🏽"), 2u);  // emoji + skin tone modifier
  EXPECT_EQ(DisplayWidth("a\xFF"
                         "b"),
            3u);  // an invalid byte shows as one replacement character
}

TEST(Clip, CutsOnGraphemeClustersAndCountsColumns) {
  EXPECT_EQ(Clip("short", 10), "short");
  EXPECT_EQ(Clip("abcdef", 4), "abc…");
  // Wide characters: "日本" is 4 columns, then the ellipsis; never half a character.
  EXPECT_EQ(Clip("日本語テキスト", 6), "日本…");
  EXPECT_EQ(Clip("日本語テキスト", 5), "日本…");
  // A ZWJ sequence and a flag are kept whole or dropped whole.
  EXPECT_EQ(Clip("ab" + kFamily + "cd", 4), "ab…");
  EXPECT_EQ(Clip("ab" + kFamily + "cd", 5), "ab" + kFamily + "…");
  EXPECT_EQ(Clip(kFlag + kFlag + kFlag, 5), kFlag + kFlag + "…");
  // A combining accent stays with its letter.
  EXPECT_EQ(Clip(kCafe + " au lait", 5), kCafe + "…");
  // The result never exceeds the limit.
  for (std::size_t max = 1; max < 12; ++max) {
    for (const std::string& s :
         {kFamily + kFlag + "日本語" + kCafe + kHeart, std::string("x日y😀z🇲🇽")}) {
      EXPECT_LE(DisplayWidth(Clip(s, max)), max) << s << " at " << max;
    }
  }
  EXPECT_EQ(Clip("line one\nline\ttwo", 40), "line one line two");
}

// The column each cell of `line` starts at, in display columns (cells are separated by two
// or more spaces).
std::vector<std::size_t> CellColumns(const std::string& line) {
  std::vector<std::size_t> out;
  std::size_t column = 0;
  std::size_t spaces = 2;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t next = line.find(' ', i);
    if (next == std::string::npos) next = line.size();
    if (next > i) {
      if (spaces >= 2) out.push_back(column);
      column += DisplayWidth(line.substr(i, next - i));
      spaces = 0;
      i = next;
    } else {
      ++spaces;
      ++column;
      ++i;
    }
  }
  return out;
}

TEST(Table, AlignsColumnsOnDisplayWidth) {
  Table table({"ID", "BUYER", "TITLE"}, 12);
  table.Row({"aaaa", "日本語商事", "x"});
  table.Row({"bbbb", kFamily + "Co", "y"});
  table.Row({"cccc", kFlag + "Mex", "z"});
  table.Row({"dddd", kCafe, "w"});
  table.Row({"eeee", "Plain", "v"});
  table.Row({"ffff", "😀😀😀😀😀😀😀😀", "u"});  // 16 columns: cut to 12
  const std::string text = table.Render();
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 7u) << text;
  const std::vector<std::size_t> header = CellColumns(lines[0]);
  ASSERT_EQ(header.size(), 3u) << lines[0];
  for (std::size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(CellColumns(lines[i]), header) << text;
  EXPECT_NE(text.find("😀😀😀😀😀…"), std::string::npos) << text;
}

}  // namespace
}  // namespace parley::cli
