package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each driver run by a role with only the rights README's "Database rights" lists, never a superuser; a missing right
 * fails with a message naming it; pgflash's tables are closed to other roles. Writes come from another role, as in an
 * application whose writers and listeners log in differently.
 */
class LeastPrivilegeTest extends FlashTestBase {

    private static String app;
    private static String stranger;

    @BeforeAll
    static void roles() {
        app = "lp_app_" + db.name();
        stranger = "lp_other_" + db.name();
        db.execute("CREATE ROLE " + app + " LOGIN", "CREATE ROLE " + stranger + " LOGIN",
                "GRANT CONNECT, CREATE ON DATABASE " + db.name() + " TO " + app,
                "GRANT CONNECT ON DATABASE " + db.name() + " TO " + stranger);
    }

    @AfterAll
    static void dropRoles() {
        db.execute("DROP SCHEMA IF EXISTS lp_notify, lp_durable CASCADE", "DROP TABLE IF EXISTS posts",
                "DROP OWNED BY " + app + ", " + stranger, "DROP ROLE " + app, "DROP ROLE " + stranger);
    }

    @BeforeEach
    void table() {
        db.execute("DROP TABLE IF EXISTS posts", "CREATE TABLE posts (id int PRIMARY KEY, title text)",
                "ALTER TABLE posts OWNER TO " + app);
    }

    @Test
    void triggerDriverInBothModesNeedsCreateOnTheDatabaseAndTheTables() {
        deliversAs(app, NotifyDriver.builder().schema("lp_notify").build());
        deliversAs(app, DurableDriver.builder().schema("lp_durable").group("lp").build());
    }

    @Test
    void walDriverNeedsReplicationCreateOnTheDatabaseAndTheTables() {
        db.execute("ALTER ROLE " + app + " REPLICATION");
        try {
            deliversAs(app, walDriver().build());
        } finally {
            db.execute("ALTER ROLE " + app + " NOREPLICATION");
        }
    }

    @Test
    void walDriverWithoutCreateOnTheDatabaseIsToldHowToGetAPublication() {
        db.execute("ALTER ROLE " + app + " REPLICATION", "REVOKE CREATE ON DATABASE " + db.name() + " FROM " + app);
        try {
            assertThatThrownBy(flashAs(app, walDriver().build())::start)
                    .hasMessageContaining("may not create publication")
                    .hasMessageContaining("GRANT CREATE ON DATABASE \"" + db.name() + "\" TO \"" + app + "\"")
                    .hasMessageContaining("pgflash.wal.publication-name");
        } finally {
            db.execute("GRANT CREATE ON DATABASE " + db.name() + " TO " + app, "ALTER ROLE " + app + " NOREPLICATION");
        }
    }

    @Test
    void aTriggerSchemaOfAnotherApplicationsRoleIsNamedWithItsOwner() {
        db.execute("CREATE SCHEMA lp_foreign AUTHORIZATION " + stranger);
        try {
            assertThatThrownBy(flashAs(app, DurableDriver.builder().schema("lp_foreign").group("lp").build())::start)
                    .hasMessageContaining("schema lp_foreign belongs to role " + stranger)
                    .hasMessageContaining("pgflash.trigger.schema");
        } finally {
            db.execute("DROP SCHEMA lp_foreign CASCADE");
        }
    }

    /** Another application's role owns the schema where snapshot checkpoints would go: no snapshot, no need of it. */
    @Test
    void walDriverWithoutSnapshotsStartsWhileAnotherRoleOwnsItsStateSchema() {
        db.execute("ALTER ROLE " + app + " REPLICATION",
                "CREATE SCHEMA lp_foreign_state AUTHORIZATION " + stranger);
        try {
            deliversAs(app, walDriver().stateSchema("lp_foreign_state").build());
        } finally {
            db.execute("DROP SCHEMA lp_foreign_state", "ALTER ROLE " + app + " NOREPLICATION");
        }
    }

    @Test
    void membershipInTheOwnerRoleIsEnough() {
        String owner = "lp_owner_" + db.name();
        db.execute("CREATE ROLE " + owner, "ALTER TABLE posts OWNER TO " + owner, "GRANT " + owner + " TO " + app);
        try {
            deliversAs(app, NotifyDriver.builder().schema("lp_notify").build());
        } finally {
            db.execute("ALTER TABLE posts OWNER TO " + app, "DROP ROLE " + owner);
        }
    }

    @Test
    void walWithAPublicationTheOwnerMadeNeedsNoTables() {
        db.execute("ALTER TABLE posts OWNER TO " + db.user(), "CREATE PUBLICATION lp_pub FOR TABLE posts",
                "ALTER ROLE " + app + " REPLICATION");
        try {
            deliversAs(app, walDriver().publicationName("lp_pub").build());
        } finally {
            db.execute("ALTER ROLE " + app + " NOREPLICATION", "DROP PUBLICATION lp_pub");
        }
    }

    @Test
    void walWithAPublicationOfTheTablesSchemaNeedsNoTables() {
        assumeTrue(queryLong("SELECT current_setting('server_version_num')::int") >= 150000,
                "FOR TABLES IN SCHEMA came with PostgreSQL 15");
        db.execute("ALTER TABLE posts OWNER TO " + db.user(), "CREATE PUBLICATION lp_pub FOR TABLES IN SCHEMA public",
                "ALTER ROLE " + app + " REPLICATION");
        try {
            deliversAs(app, walDriver().publicationName("lp_pub").build());
        } finally {
            db.execute("ALTER ROLE " + app + " NOREPLICATION", "DROP PUBLICATION lp_pub");
        }
    }

    @Test
    void withoutTheTablesTheFailureNamesTheRight() {
        db.execute("ALTER TABLE posts OWNER TO " + db.user());
        PgFlash flash = flashAs(app, NotifyDriver.builder().schema("lp_notify").build());
        flash.start();
        assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("posts").build(), event -> { }))
                .isInstanceOf(PgFlashException.class).hasMessageContaining("must own the tables it watches");
        assertThat(triggerCount("posts")).isZero();
    }

    @Test
    void walWithoutTheTablesTheFailureNamesTheRight() {
        db.execute("ALTER TABLE posts OWNER TO " + db.user(), "ALTER ROLE " + app + " REPLICATION");
        try {
            PgFlash flash = flashAs(app, walDriver().build());
            flash.start();
            assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("posts").build(), event -> { }))
                    .isInstanceOf(PgFlashException.class).hasMessageContaining("must be owner of table posts")
                    .hasMessageContaining("member of the table's owner role");
        } finally {
            db.execute("ALTER ROLE " + app + " NOREPLICATION");
        }
    }

    @Test
    void aWalStartThatFailsLeavesNoSlotOrPublicationBehind() {
        db.execute("ALTER TABLE posts OWNER TO " + db.user(), "ALTER ROLE " + app + " REPLICATION");
        try {
            WalDriver driver = walDriver().build();
            PgFlash flash = flashAs(app, driver);
            flash.subscribe(SubscriptionSpec.table("posts").build(), event -> { });

            assertThatThrownBy(flash::start).isInstanceOf(PgFlashException.class)
                    .hasMessageContaining("must be owner of table posts");

            assertThat(queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + driver.slotName()
                    + "'")).as("slots left").isZero();
            assertThat(queryLong("SELECT count(*) FROM pg_publication WHERE pubname = '" + driver.publicationName()
                    + "'")).as("publications left").isZero();
        } finally {
            db.execute("ALTER ROLE " + app + " NOREPLICATION");
        }
    }

    @Test
    void withoutCreateOnTheDatabaseTheFailureNamesTheRight() {
        db.execute("REVOKE CREATE ON DATABASE " + db.name() + " FROM " + app);
        try {
            PgFlash flash = flashAs(app, NotifyDriver.builder().schema("lp_fresh").build());
            assertThatThrownBy(flash::start).isInstanceOf(PgFlashException.class)
                    .hasMessageContaining("needs CREATE on the database");
        } finally {
            db.execute("GRANT CREATE ON DATABASE " + db.name() + " TO " + app);
        }
    }

    @Test
    void walWithoutReplicationTheFailureNamesTheRight() {
        PgFlash flash = flashAs(app, walDriver().build());
        assertThatThrownBy(flash::start).hasMessageContaining("lacks the REPLICATION attribute")
                .hasMessageContaining("ALTER ROLE");
    }

    @Test
    void walInitialSnapshotWithoutCreateOnTheDatabaseNamesTheFixAndWorksOnceTheSchemaIsMade() throws Exception {
        db.execute("ALTER TABLE posts OWNER TO " + db.user(), "CREATE PUBLICATION lp_pub FOR TABLE posts",
                "GRANT SELECT ON posts TO " + app, "INSERT INTO posts VALUES (1, 'kept')",
                "ALTER ROLE " + app + " REPLICATION", "REVOKE CREATE ON DATABASE " + db.name() + " FROM " + app);
        try {
            PgFlash flash = flashAs(app, walDriver().publicationName("lp_pub").stateSchema("lp_state").build());
            Subscription subscription = flash.subscribe(SubscriptionSpec.table("posts").id("copy")
                    .snapshot(SnapshotMode.INITIAL).build(), event -> { });
            flash.start();
            await().until(() -> flash.snapshots().stream().anyMatch(progress -> progress.failure() != null));
            assertThat(flash.snapshots().get(0).failure()).contains("\"lp_state\".snapshot_checkpoints")
                    .contains("CREATE SCHEMA \"lp_state\" AUTHORIZATION");

            db.execute("CREATE SCHEMA lp_state AUTHORIZATION " + app);
            assertThat(flash.snapshot(subscription).get(1, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo(1);
        } finally {
            db.execute("ALTER ROLE " + app + " NOREPLICATION", "DROP PUBLICATION lp_pub",
                    "GRANT CREATE ON DATABASE " + db.name() + " TO " + app, "DROP SCHEMA IF EXISTS lp_state CASCADE");
        }
    }

    @Test
    void pgflashTablesAreClosedToOtherRoles() {
        deliversAs(app, NotifyDriver.builder().schema("lp_notify").build());
        deliversAs(app, DurableDriver.builder().schema("lp_durable").group("lp").build());
        for (String table : new String[] {"lp_notify.overflow", "lp_notify.secret", "lp_durable.events",
            "lp_durable.dead_letters", "lp_durable.groups", "lp_durable.read_layouts"}) {
            assertThatThrownBy(() -> runAs(stranger, "SELECT * FROM " + table)).as(table)
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
        }
        // nor may they call the function that holds the notify mode's signing key
        assertThat(queryLong("SELECT count(*) FROM pg_proc WHERE oid = 'lp_notify.signing_key()'::regprocedure"
                + " AND has_function_privilege('" + stranger + "', oid, 'EXECUTE')")).isZero();
    }

    private void deliversAs(String role, ChangeDriver driver) {
        PgFlash flash = flashAs(role, driver);
        flash.start();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("DELETE FROM posts", "INSERT INTO posts VALUES (1, 'written by " + db.user() + "')");
        assertThat(recorder.awaitEvents(1).get(0).newRow().get("title")).isEqualTo("written by " + db.user());
        flash.close();
    }

    private PgFlash flashAs(String role, ChangeDriver driver) {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), role, "").driver(driver).build();
        closeAfterTest(flash);
        return flash;
    }

    private static void runAs(String role, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), role, "");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
