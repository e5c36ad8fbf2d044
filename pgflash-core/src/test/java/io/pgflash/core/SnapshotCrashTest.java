package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.driver.wal.WalCrashTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A consumer JVM killed with SIGKILL in the middle of its initial snapshot, while four writers change the table, and
 * started again: its snapshot goes on after the chunks its listener handled (reading again only those after the last
 * checkpoint), and the copy its events build equals the table.
 */
class SnapshotCrashTest extends FlashTestBase {

    private static final int ROWS = 100_000;
    /** The READ the first consumer's listener holds until it is killed: a third of the table. */
    private static final int HELD_AT = 30_000;
    private static int groups;

    @ParameterizedTest
    @ValueSource(strings = {"wal", "durable"})
    void aConsumerKilledInItsInitialSnapshotGoesOnAfterTheChunksItHandled(String driver) throws Exception {
        db.execute("DROP TABLE IF EXISTS mirrored CASCADE",
                "CREATE TABLE mirrored (id int PRIMARY KEY, title text, version int NOT NULL DEFAULT 0)",
                "INSERT INTO mirrored SELECT g, 'row ' || g FROM generate_series(1, " + ROWS + ") g");
        String group = db.name() + "_snapshot_crash_" + (++groups);
        Path file = Files.createTempFile("pgflash-snapshot-crash", ".log");
        try {
            long handledBeforeKill;
            long checkpointed;
            try (TableWriters writers = new TableWriters(db, "mirrored", ROWS + 1)) {
                Process first = start(group, file, driver, HELD_AT);
                await().atMost(Duration.ofMinutes(2)).until(() -> reads(file) >= HELD_AT
                        && checkpointedRows(group, driver) > 0);
                first.destroyForcibly().waitFor(); // SIGKILL: no stop, no last checkpoint
                handledBeforeKill = reads(file);
                checkpointed = checkpointedRows(group, driver);

                Process second = start(group, file, driver, 0);
                try {
                    await().atMost(Duration.ofMinutes(2)).until(() -> lines(file).stream()
                            .anyMatch(line -> line.startsWith("NOTICE COMPLETED")));
                    await().until(() -> writers.statements() > 200);
                    writers.close();
                    db.execute("INSERT INTO mirrored VALUES (0, 'last', 0)");
                    await().atMost(Duration.ofMinutes(2)).until(() -> lines(file).contains("INSERT 0 last/0"));
                } finally {
                    second.destroyForcibly().waitFor();
                }
            }

            List<String> notices = lines(file).stream().filter(line -> line.startsWith("NOTICE")).toList();
            assertThat(notices).containsExactly("NOTICE STARTED 0", "NOTICE RESUMED " + checkpointed,
                    notices.get(2));
            assertThat(notices.get(2)).startsWith("NOTICE COMPLETED");
            assertThat(checkpointed).as("rows the checkpoint counts as handled").isPositive()
                    .isLessThanOrEqualTo(handledBeforeKill);
            long readAgain = handledBeforeKill - checkpointed;
            System.out.printf("%s snapshot crash test: %d rows, killed after %d READ rows handled, checkpoint at %d:"
                    + " %d rows (%d chunks of %d) read again%n", driver, ROWS, handledBeforeKill, checkpointed,
                    readAgain, (readAgain + SnapshotCrashConsumer.CHUNK - 1) / SnapshotCrashConsumer.CHUNK,
                    SnapshotCrashConsumer.CHUNK);
            assertThat(copy(file)).isEqualTo(table());
        } finally {
            if (driver.equals("wal")) {
                db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = 'pgflash_" + group + "' AND NOT active");
            }
            Files.deleteIfExists(file);
        }
    }

    private static Process start(String group, Path file, String driver, int holdAt) throws Exception {
        return WalCrashTest.startProcess(List.of("-Xmx256m", SnapshotCrashConsumer.class.getName(), db.jdbcUrl(), db.user(),
                db.password(), group, file.toString(), driver, String.valueOf(holdAt)));
    }

    /** The copy the file's events build, in their order: id to "title/version". */
    private static Map<Integer, String> copy(Path file) throws Exception {
        Map<Integer, String> copy = new HashMap<>();
        for (String line : lines(file)) {
            String[] parts = line.split(" ");
            switch (parts[0]) {
                case "NOTICE" -> { }
                case "DELETE" -> copy.remove(Integer.valueOf(parts[1]));
                default -> copy.put(Integer.valueOf(parts[1]), parts[2]);
            }
        }
        return copy;
    }

    private static Map<Integer, String> table() throws Exception {
        Map<Integer, String> rows = new HashMap<>();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT id, title, version FROM mirrored")) {
            while (rs.next()) {
                rows.put(rs.getInt(1), rs.getString(2).replace(' ', '_') + "/" + rs.getInt(3));
            }
        }
        return rows;
    }

    private static long reads(Path file) throws Exception {
        return lines(file).stream().filter(line -> line.startsWith("READ ")).count();
    }

    private static long checkpointedRows(String group, String driver) throws Exception {
        String place = driver.equals("wal") ? "wal:pgflash_" + group : "durable:" + group;
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT coalesce((SELECT row_count FROM"
                        + " pgflash.snapshot_checkpoints WHERE grp = '" + place + "' AND subscription = 'mirror'), 0)"
                        + " WHERE to_regclass('pgflash.snapshot_checkpoints') IS NOT NULL")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private static List<String> lines(Path file) throws Exception {
        return WalCrashTest.lines(file);
    }
}
