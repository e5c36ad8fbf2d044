package io.pgflash.core.driver.wal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgflash.core.FlashTestBase;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.replication.PGReplicationStream;

/** Each reason the WAL driver cannot start gets its own message, saying what to change. */
class WalPreconditionsTest extends FlashTestBase {

    @Test
    void walLevelReplica() {
        assumeTrue(TestPostgres.canStartDedicated());
        try (TestPostgres.Dedicated server = TestPostgres.dedicated(Map.of("wal_level", "replica"))) {
            TestDatabase database = server.postgres().createDatabase();
            PgFlash flash = PgFlash.builder().jdbcUrl(database.jdbcUrl(), database.user(), database.password())
                    .driver(WalDriver.builder().build()).build();
            assertThatThrownBy(flash::start).isInstanceOf(WalPreconditionException.class)
                    .hasMessageContaining("wal_level is 'replica'").hasMessageContaining("wal_level = logical")
                    .hasMessageContaining("trigger driver");
        }
    }

    @Test
    void roleWithoutReplication() {
        db.execute("DROP ROLE IF EXISTS app_no_replication",
                "CREATE ROLE app_no_replication LOGIN PASSWORD 'secret'",
                "GRANT CREATE ON DATABASE " + db.name() + " TO app_no_replication");
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), "app_no_replication", "secret")
                .driver(walDriver().build()).build();

        assertThatThrownBy(flash::start).isInstanceOf(WalPreconditionException.class)
                .hasMessageContaining("app_no_replication lacks the REPLICATION attribute")
                .hasMessageContaining("ALTER ROLE \"app_no_replication\" REPLICATION");
    }

    /**
     * The server's refusal comes before a subscription's: the fixes arrive in the order they are needed, not a
     * replica identity first and the REPLICATION right at the next try.
     */
    @Test
    void aRoleWithoutReplicationIsNamedAtTheFirstSubscribeBeforeTheTablesReplicaIdentity() {
        db.execute("DROP ROLE IF EXISTS app_subscriber_no_replication",
                "CREATE ROLE app_subscriber_no_replication LOGIN PASSWORD 'secret'",
                "CREATE TABLE IF NOT EXISTS filtered (id int PRIMARY KEY, status text)");
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), "app_subscriber_no_replication", "secret")
                .driver(walDriver().build()).build();

        assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("filtered").filter("status=eq.x").build(),
                event -> { })).isInstanceOf(WalPreconditionException.class)
                .hasMessageContaining("app_subscriber_no_replication lacks the REPLICATION attribute");
    }

    /** Another process than pgflash (here a bare replication stream) reads the slot: pgflash does not compete. */
    @Test
    void slotInUseByAnotherProcess() throws Exception {
        WalDriver first = walDriver().build();
        startFlash(first).stop(); // the slot and publication stay
        ConnectionFactory connections = ConnectionFactory.of(db.jdbcUrl(), db.user(), db.password());
        try (Connection replication = connections.openReplication();
                PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI()
                        .replicationStream().logical().withSlotName(first.slotName())
                        .withSlotOption("proto_version", "1")
                        .withSlotOption("publication_names", first.publicationName()).start()) {
            PgFlash second = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                    .driver(WalDriver.builder().slotName(first.slotName()).publicationName(first.publicationName())
                            .build()).build();

            assertThatThrownBy(second::start).isInstanceOf(WalPreconditionException.class)
                    .hasMessageContaining("is in use by process").hasMessageContaining(first.slotName());
        }
    }

    @Test
    void noFreeReplicationSlot() throws Exception {
        int free;
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT current_setting('max_replication_slots')::int"
                        + " - (SELECT count(*) FROM pg_replication_slots)")) {
            rs.next();
            free = rs.getInt(1);
        }
        try {
            for (int i = 0; i < free; i++) {
                db.execute("SELECT pg_create_physical_replication_slot('filler_" + i + "')");
            }
            PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                    .driver(walDriver().build()).build();

            assertThatThrownBy(flash::start).isInstanceOf(WalPreconditionException.class)
                    .hasMessageContaining("max_replication_slots are in use")
                    .hasMessageContaining("pg_drop_replication_slot");
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name LIKE 'filler_%'");
        }
    }
}
