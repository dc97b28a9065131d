// The dashboard's edits of the mcpServers file, on real files.
#include "config_edit.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mcpauth/error.hpp"
#include "platform/files.hpp"

namespace mcpauth::gateway {
namespace {

namespace fs = std::filesystem;

class GatewayConfigEdit : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_platform::make_temp_dir(std::string("mcpauth-config-edit-") +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path() const { return (dir_ / "config.json").string(); }
  void write(const std::string& text) const { std::ofstream(path()) << text; }
  std::string read() const {
    std::ifstream in(path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

TEST_F(GatewayConfigEdit, AddKeepsEverythingElseInItsOrderAndWritesPrivately) {
  write(R"({"zeta": 1, "mcpServers": {"b": {"url": "https://b.example/mcp"}, "a": {"command": "x"}}, "alpha": true})");
  add_server_entry(path(), {"new", "https://n.example/mcp", {{"X-Team", "blue"}}, std::string("client-1")});
  const auto doc = nlohmann::ordered_json::parse(read());
  EXPECT_EQ(doc.begin().key(), "zeta") << read();
  EXPECT_EQ(doc["alpha"], true);
  EXPECT_EQ(doc["mcpServers"]["a"]["command"], "x");
  EXPECT_EQ(doc["mcpServers"]["new"]["url"], "https://n.example/mcp");
  EXPECT_NE(read().find("X-Team"), std::string::npos);
  EXPECT_NE(read().find("client-1"), std::string::npos);
  EXPECT_EQ(test_platform::mode_of(path()), 0600u);
}

TEST_F(GatewayConfigEdit, AddCreatesAMissingFileAndRefusesADuplicateName) {
  fs::remove(path());
  add_server_entry(path(), {"one", "https://one.example/mcp", {}, std::nullopt});
  EXPECT_NE(read().find("one.example"), std::string::npos);
  const std::string before = read();
  EXPECT_THROW(add_server_entry(path(), {"one", "https://other.example/mcp", {}, std::nullopt}), Error);
  EXPECT_EQ(read(), before) << "a refused edit changes nothing";
}

TEST_F(GatewayConfigEdit, AFileThatIsNotAnMcpServersObjectIsLeftAlone) {
  write("[1, 2, 3]");
  EXPECT_THROW(add_server_entry(path(), {"one", "https://one.example/mcp", {}, std::nullopt}), Error);
  EXPECT_EQ(read(), "[1, 2, 3]");
  write("{not json");
  EXPECT_THROW(add_server_entry(path(), {"one", "https://one.example/mcp", {}, std::nullopt}), Error);
  EXPECT_EQ(read(), "{not json");
}

TEST_F(GatewayConfigEdit, RemoveTakesOnlyThatEntry) {
  write(R"({"mcpServers": {"a": {"url": "https://a.example/mcp"}, "b": {"url": "https://b.example/mcp"}}})");
  EXPECT_TRUE(remove_server_entry(path(), "a"));
  EXPECT_FALSE(remove_server_entry(path(), "a"));
  const auto doc = nlohmann::json::parse(read());
  EXPECT_FALSE(doc["mcpServers"].contains("a"));
  EXPECT_EQ(doc["mcpServers"]["b"]["url"], "https://b.example/mcp");
}

}  // namespace
}  // namespace mcpauth::gateway
