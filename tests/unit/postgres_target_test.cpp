// How the PostgreSQL store names its database in messages (never with the
// password), and the key id each sealed row carries.
#include <gtest/gtest.h>

#include "../../src/store/cipher.hpp"
#include "../../src/store/postgres_target.hpp"
#include "error_of.hpp"
#include "mcpauth/store/postgres_token_store.hpp"

namespace mcpauth::store::detail {
namespace {

TEST(PostgresTarget, NamesUserHostPortAndDatabaseButNotThePassword) {
  const PgTarget t = pg_target("postgresql://svc:s3cr%40t@db.internal:5433/tokens?sslmode=require");
  EXPECT_EQ(t.description, "PostgreSQL at svc@db.internal:5433/tokens");
  EXPECT_EQ(t.password, "s3cr@t");
  EXPECT_EQ(t.description.find("s3cr"), std::string::npos);

  EXPECT_EQ(pg_target("host=10.0.0.5 dbname=mcpauth user=gw password=x1y2").description,
            "PostgreSQL at gw@10.0.0.5/mcpauth");
  EXPECT_EQ(pg_target("postgres:///mcpauth").description, "PostgreSQL at the default socket/mcpauth");
}

TEST(PostgresTarget, ScrubsThePasswordFromAnyMessage) {
  const PgTarget t = pg_target("postgresql://u:hunter2hunter2@h/d");
  EXPECT_EQ(scrub("failed for hunter2hunter2 and hunter2hunter2!", t), "failed for *** and ***!");
  EXPECT_EQ(scrub("nothing here", pg_target("postgresql://u@h/d")), "nothing here");
}

TEST(PostgresTarget, AnUnparsableUrlIsRefusedWithoutRepeatingIt) {
  const Error e = testing::error_of([] { pg_target("postgresql://u:pw-in-url@h:notaport/d?bogus_option=1"); });
  EXPECT_EQ(e.code(), ErrorCode::usage);
  EXPECT_EQ(std::string(e.what()).find("pw-in-url"), std::string::npos) << e.what();
}

TEST(PostgresTarget, OnlyPostgresUrlsSelectThePostgresStore) {
  EXPECT_TRUE(is_postgres_url("postgresql://h/d"));
  EXPECT_TRUE(is_postgres_url("postgres://h/d"));
  EXPECT_FALSE(is_postgres_url("/home/me/tokens.db"));
  EXPECT_FALSE(is_postgres_url("mysql://h/d"));
}

TEST(StoreKeyId, IsStablePerKeyAndRevealsNothingOfIt) {
  const Key a = random_key();
  const Key b = random_key();
  EXPECT_EQ(key_id(a), key_id(a));
  EXPECT_NE(key_id(a), key_id(b));
  EXPECT_EQ(key_id(a).size(), 16u);
  EXPECT_EQ(encode_key(a).find(key_id(a)), std::string::npos);
}

}  // namespace
}  // namespace mcpauth::store::detail
