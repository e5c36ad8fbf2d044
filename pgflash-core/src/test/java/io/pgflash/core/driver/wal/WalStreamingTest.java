package io.pgflash.core.driver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.FlashTestBase;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Recorder;
import io.pgflash.core.SubscriptionSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Protocol 2: transactions larger than logical_decoding_work_mem arrive streamed, and only what commits counts. */
class WalStreamingTest extends FlashTestBase {

    @Test
    void streamedTransactionsDeliverOnlyCommittedWork() throws Exception {
        // the walsender streams any transaction over 64 kB of changes
        db.execute("ALTER ROLE " + db.user() + " IN DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE big (id int PRIMARY KEY, payload text)");
        WalDriver driver = walDriver().streaming(true).build();
        PgFlash flash = startFlash(driver);
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("big").operations(Operation.INSERT).build(), recorder);

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
            statement.execute("SAVEPOINT s");
            statement.execute("INSERT INTO big SELECT g, repeat('y', 100) FROM generate_series(5001, 7000) g");
            statement.execute("ROLLBACK TO SAVEPOINT s");
            statement.execute("INSERT INTO big SELECT g, repeat('z', 100) FROM generate_series(7001, 8000) g");
            connection.commit();
            statement.execute("INSERT INTO big SELECT g, repeat('a', 100) FROM generate_series(8001, 11000) g");
            connection.rollback();
            statement.execute("INSERT INTO big VALUES (0, 'last')");
            connection.commit();
        }

        List<ChangeEvent> events = recorder.awaitEvents(6001);
        await().until(() -> streamedTransactions(driver.slotName()) >= 1);
        assertThat(events).hasSize(6001);
        assertThat(events.subList(0, 5000)).extracting(e -> e.newRow().get("id"))
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 5000).boxed().toList());
        assertThat(events.subList(5000, 6000)).extracting(e -> e.newRow().get("payload")).containsOnly("z".repeat(100));
        assertThat(events.get(6000).newRow().get("id")).isEqualTo(0);
        assertThat(events).extracting(ChangeEvent::position).isSorted().doesNotHaveDuplicates();
    }

    private static long streamedTransactions(String slot) throws Exception {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT coalesce(sum(stream_txns), 0) FROM"
                        + " pg_stat_replication_slots WHERE slot_name = '" + slot + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void streamedTransactionThatAltersItsTableDecodesEachRowWithItsShape() throws Exception {
        db.execute("ALTER ROLE " + db.user() + " IN DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE shapes (id int PRIMARY KEY, b text)");
        PgFlash flash = startFlash(walDriver().streaming(true).build());
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("shapes").operations(Operation.INSERT).build(), recorder);

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO shapes SELECT g, 'bee' FROM generate_series(1, 3000) g");
            statement.execute("ALTER TABLE shapes DROP COLUMN b");
            statement.execute("ALTER TABLE shapes ADD COLUMN c text");
            statement.execute("INSERT INTO shapes SELECT g, 'sea' FROM generate_series(3001, 6000) g");
            connection.commit();
        }

        List<ChangeEvent> events = recorder.awaitEvents(6000);
        assertThat(events.get(0).newRow().asMap()).containsEntry("b", "bee").doesNotContainKey("c");
        assertThat(events.get(5999).newRow().asMap()).containsEntry("c", "sea").doesNotContainKey("b");
    }
}
