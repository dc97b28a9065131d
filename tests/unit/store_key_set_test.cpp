// The store's key set (store/key_set.hpp, key_source.hpp): which keys a
// store opens with (MCPAUTH_KEY or the key file's first line as the current
// key; MCPAUTH_KEY_PREVIOUS and the key file's further lines as retired
// ones), how a key list is read, and when a set may open a store (the key
// checks it holds).
#include <gtest/gtest.h>

#include <filesystem>

#include "../../src/store/cipher.hpp"
#include "../../src/store/key_set.hpp"
#include "../../src/store/key_source.hpp"
#include "../../src/store/sealed_rows.hpp"
#include "error_of.hpp"
#include "mcpauth/error.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::store::detail {
namespace {

using testing::error_of;

const Key kA = random_key();
const Key kB = random_key();
const Key kC = random_key();

std::vector<std::string> ids(const KeySet& keys) {
  std::vector<std::string> out;
  for (const auto& key : keys.all()) out.push_back(key.id);
  return out;
}

TEST(KeySet, TheCurrentKeyComesFirstAndNoKeyTwice) {
  KeySet keys(kA);
  keys.add_retired(kB);
  keys.add_retired(kA);
  keys.add_retired(kB);
  EXPECT_EQ(ids(keys), (std::vector<std::string>{key_id(kA), key_id(kB)}));
  EXPECT_EQ(keys.current().id, key_id(kA));
  ASSERT_TRUE(keys.find(key_id(kB)));
  EXPECT_EQ(keys.find(key_id(kB))->key, kB);
  EXPECT_FALSE(keys.find(key_id(kC)));
}

TEST(KeySet, MakingAKeyCurrentRetiresTheOldOne) {
  KeySet keys(kA);
  keys.add_retired(kB);
  keys.make_current(kB);
  EXPECT_EQ(ids(keys), (std::vector<std::string>{key_id(kB), key_id(kA)}));
  keys.make_current(kC);
  EXPECT_EQ(ids(keys), (std::vector<std::string>{key_id(kC), key_id(kB), key_id(kA)}));
}

TEST(KeyList, CommasSpacesAndLinesSeparateKeysCommentsAndBlanksAreSkipped) {
  const std::string text =
      "# retired keys\n" + encode_key(kA) + ", " + encode_key(kB) + "\n\n  " + encode_key(kC) + "\r\n";
  EXPECT_EQ(parse_key_list(text, "MCPAUTH_KEY_PREVIOUS"), (std::vector<Key>{kA, kB, kC}));
  EXPECT_TRUE(parse_key_list(" \n# none\n", "MCPAUTH_KEY_PREVIOUS").empty());
}

TEST(KeyList, ABadEntryIsNamedByItsPlaceNeverEchoed) {
  const std::string bad = "not-a-key-but-maybe-a-secret";
  const Error e = error_of([&] { parse_key_list(encode_key(kA) + "," + bad, "MCPAUTH_KEY_PREVIOUS"); });
  EXPECT_EQ(e.code(), ErrorCode::usage);
  EXPECT_NE(std::string(e.what()).find("MCPAUTH_KEY_PREVIOUS (key 2)"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos) << e.what();
}

class KeySource : public testing::ScratchDirTest {
 protected:
  KeyOptions options() const {
    KeyOptions o;
    o.key_file = dir_ / "store.key";
    o.use_keyring = false;
    o.keyring_item = "unused";
    return o;
  }
};

TEST_F(KeySource, MCPAUTH_KEYIsTheCurrentKeyAndThePreviousKeysAreRetired) {
  KeyOptions o = options();
  o.key_text = encode_key(kB);
  o.previous_keys = encode_key(kA) + " " + encode_key(kC);
  const ObtainedKey obtained = obtain_key(o, false);
  EXPECT_EQ(ids(obtained.keys), (std::vector<std::string>{key_id(kB), key_id(kA), key_id(kC)}));
  EXPECT_EQ(obtained.source, "MCPAUTH_KEY");
  EXPECT_FALSE(obtained.from_keyring);
}

TEST_F(KeySource, AKeyFilesFirstLineIsCurrentItsOtherLinesRetired) {
  KeyOptions o = options();
  std::filesystem::create_directories(dir_);
  create_exclusive_file(o.key_file, encode_key(kB) + "\n" + encode_key(kA) + "\n");
  o.previous_keys = encode_key(kC);
  const ObtainedKey obtained = obtain_key(o, false);
  EXPECT_EQ(ids(obtained.keys), (std::vector<std::string>{key_id(kB), key_id(kA), key_id(kC)}));
  EXPECT_EQ(obtained.source, o.key_file.string());
}

TEST_F(KeySource, TodaysSingleKeyFileIsASetOfOne) {
  KeyOptions o = options();
  create_exclusive_file(o.key_file, encode_key(kA) + "\n");
  EXPECT_EQ(ids(obtain_key(o, false).keys), std::vector<std::string>{key_id(kA)});
}

TEST_F(KeySource, AnEmptyKeyFileIsRefused) {
  KeyOptions o = options();
  create_exclusive_file(o.key_file, "\n");
  EXPECT_EQ(error_of([&] { obtain_key(o, false); }).code(), ErrorCode::usage);
}

std::vector<RecordedCheck> checks_of(std::initializer_list<std::pair<std::string, Key>> recorded) {
  std::vector<RecordedCheck> out;
  for (const auto& [id, key] : recorded) out.push_back({id, seal_key_check(key)});
  return out;
}

TEST(VerifyKeySet, TheCurrentKeyMustOpenARecordedCheck) {
  const auto checks = checks_of({{key_id(kA), kA}});
  EXPECT_NO_THROW(verify_key_set(KeySet(kA), checks, "the store", "MCPAUTH_KEY"));
  KeySet rotating(kB);  // a new key nobody recorded: refused even beside a known key
  rotating.add_retired(kA);
  const Error e = error_of([&] { verify_key_set(rotating, checks, "the store", "MCPAUTH_KEY"); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find("the store cannot be opened with the key from MCPAUTH_KEY"), std::string::npos);
  EXPECT_THROW(verify_key_set(KeySet(kC), checks, "the store", "MCPAUTH_KEY"), Error);
}

TEST(VerifyKeySet, RetiredKeysMayBeUnrecordedButARecordedOneMustOpenItsCheck) {
  KeySet keys(kA);
  keys.add_retired(kB);  // about to become current: not recorded yet
  EXPECT_NO_THROW(verify_key_set(keys, checks_of({{key_id(kA), kA}}), "the store", "MCPAUTH_KEY"));
  // A check recorded under kB's id that kB does not open: damaged, refused.
  EXPECT_THROW(verify_key_set(keys, checks_of({{key_id(kA), kA}, {key_id(kB), kC}}), "the store", "MCPAUTH_KEY"),
               Error);
}

TEST(VerifyKeySet, AnUnnamedCheckIsTheCurrentKeysWhenItOpensIt) {
  // The SQLite store's original check carries no id.
  EXPECT_NO_THROW(verify_key_set(KeySet(kA), checks_of({{"", kA}}), "the store", "the key file"));
  EXPECT_THROW(verify_key_set(KeySet(kB), checks_of({{"", kA}}), "the store", "the key file"), Error);
}

TEST(Reseal, AValueUnderAnotherKeyOfTheSetIsSealedAgainUnderTheCurrentOne) {
  KeySet keys(kB);
  keys.add_retired(kA);
  const std::string context = "tokens\nrow";
  const std::string old_value = seal(kA, "{\"access_token\":\"x\"}", context);
  const ResealResult moved = reseal(keys, std::nullopt, old_value, context);
  ASSERT_EQ(moved.outcome, Reseal::resealed);
  EXPECT_EQ(unseal(kB, moved.sealed, context), std::optional<std::string>("{\"access_token\":\"x\"}"));
  EXPECT_FALSE(unseal(kA, moved.sealed, context));
  EXPECT_EQ(reseal(keys, std::nullopt, moved.sealed, context).outcome, Reseal::already_current);
  EXPECT_EQ(reseal(keys, key_id(kB), "anything", context).outcome, Reseal::already_current);  // by the row's key id
  EXPECT_EQ(reseal(keys, std::nullopt, seal(kC, "{}", context), context).outcome, Reseal::unreadable);
  EXPECT_EQ(reseal(keys, std::nullopt, old_value, "tokens\nanother row").outcome, Reseal::unreadable);
  EXPECT_EQ(reseal(keys, key_id(kC), old_value, context).outcome, Reseal::unreadable);  // named key missing
}

}  // namespace
}  // namespace mcpauth::store::detail
