package io.pgflash.core.driver.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.BackOff;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.FlashTestBase;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Recorder;
import io.pgflash.core.StreamGap;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.TableName;
import io.pgflash.core.catalog.Catalog;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

class DurableDriverTest extends FlashTestBase {

    private static int groups;
    private String group;

    @BeforeEach
    void table() {
        db.execute("DROP TABLE IF EXISTS posts CASCADE", "CREATE TABLE posts (id int PRIMARY KEY, title text)");
        group = "g" + (++groups);
    }

    /** A driver of group {@code name} in this test's own schema (groups of other tests hold nothing back here). */
    private DurableDriver.Builder driver(String name) {
        return DurableDriver.builder().schema("durable_" + group).group(name).pollInterval(Duration.ofMillis(200))
                .reconnectBackOff(BackOff.fixed(Duration.ofMillis(50)));
    }

    /** A started client of {@code name}, subscribed to posts before it starts. */
    private PgFlash consumer(DurableDriver driver, Recorder recorder, ErrorPolicy policy) {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver).build();
        flash.subscribe(SubscriptionSpec.table("posts").errorPolicy(policy).build(), recorder);
        flash.start();
        closeAfterTest(flash);
        return flash;
    }

    private PgFlash consumer(DurableDriver driver, Recorder recorder) {
        return consumer(driver, recorder, ErrorPolicy.defaults());
    }

    /**
     * A started client whose listener records each event and, for those {@code held}, then waits for
     * {@code release}: a listener that holds its reader up.
     */
    private void heldUpConsumer(DurableDriver driver, Recorder recorder, CountDownLatch release,
            Predicate<ChangeEvent> held) {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").build(), event -> {
            recorder.onChange(event);
            if (held.test(event)) {
                release.await();
            }
        });
        flash.start();
    }

    private static List<Object> ids(List<ChangeEvent> events) {
        return events.stream().map(e -> e.row().get("id")).toList();
    }

    @Test
    void aSchemaFromBeforeVersionsIsBroughtToTheCurrentVersionAndKeepsItsEvents() {
        Recorder first = new Recorder();
        consumer(driver(group).build(), first).close();
        db.execute("INSERT INTO posts VALUES (1, 'written while stopped')");
        // as an older pgflash left it: no version row, and the groups' expiry column missing
        db.execute("DROP TABLE durable_" + group + ".schema_version",
                "ALTER TABLE durable_" + group + ".groups DROP COLUMN expiry_seconds");

        Recorder second = new Recorder();
        consumer(driver(group).build(), second);

        assertThat(second.awaitSingle().newRow().get("id")).isEqualTo(1);
        assertThat(queryLong("SELECT version FROM durable_" + group + ".schema_version"))
                .isEqualTo(DurableSchema.VERSION);
        assertThat(queryLong("SELECT count(*) FROM pg_attribute WHERE attrelid = 'durable_" + group + ".groups'::regclass"
                + " AND attname = 'expiry_seconds' AND NOT attisdropped")).isEqualTo(1);
    }

    @Test
    void aSchemaOfANewerPgflashIsRefusedAndLeftAsItIs() {
        consumer(driver(group).build(), new Recorder()).close();
        db.execute("UPDATE durable_" + group + ".schema_version SET version = " + (DurableSchema.VERSION + 1));

        PgFlash newer = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(driver(group).build()).build();
        closeAfterTest(newer);
        assertThatThrownBy(newer::start).isInstanceOf(PgFlashException.class)
                .hasMessageContaining("newer pgflash").hasMessageContaining("version " + (DurableSchema.VERSION + 1));
        assertThat(queryLong("SELECT version FROM durable_" + group + ".schema_version"))
                .isEqualTo(DurableSchema.VERSION + 1);
    }

    @Test
    void changesWrittenWhileStoppedArriveAfterTheNextStart() {
        Recorder first = new Recorder();
        PgFlash flash = consumer(driver(group).build(), first);
        db.execute("INSERT INTO posts VALUES (1, 'running')");
        first.awaitSingle();
        flash.close();

        db.execute("INSERT INTO posts VALUES (2, 'stopped')", "UPDATE posts SET title = 'changed' WHERE id = 1",
                "DELETE FROM posts WHERE id = 2", "TRUNCATE posts");

        Recorder second = new Recorder();
        consumer(driver(group).build(), second);
        List<ChangeEvent> events = second.awaitEvents(4);
        assertThat(events).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.UPDATE, Operation.DELETE, Operation.TRUNCATE);
        assertThat(events.get(1).oldRow().get("title")).isEqualTo("running");
        assertThat(events).extracting(ChangeEvent::position).isSorted();
    }

    @Test
    void rowsWrittenBeforeAColumnWasAddedArriveWithTheColumnsTheyHad() {
        consumer(driver(group).build(), new Recorder()).close();
        db.execute("INSERT INTO posts VALUES (1, 'before')", "ALTER TABLE posts ADD COLUMN likes int DEFAULT 0",
                "INSERT INTO posts VALUES (2, 'after', 5)");

        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);
        List<ChangeEvent> events = recorder.awaitEvents(2);
        assertThat(events.get(0).row().columns()).containsExactly("id", "title");
        assertThat(events.get(1).row().get("likes")).isEqualTo(5);
        assertThat(recorder.gaps).isEmpty();
    }

    @Test
    void rowsWrittenBeforeAColumnWasDroppedArriveWithoutIt() {
        consumer(driver(group).build(), new Recorder()).close();
        db.execute("INSERT INTO posts VALUES (1, 'before')", "ALTER TABLE posts DROP COLUMN title",
                "INSERT INTO posts VALUES (2)");

        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);
        List<ChangeEvent> events = recorder.awaitEvents(2);
        assertThat(ids(events)).containsExactly(1, 2);
        assertThat(events.get(0).row().columns()).containsExactly("id");
    }

    @Test
    void aColumnAddedWhileTheGroupWasAwayIsPlacedRightDespiteAnOldDrop() {
        db.execute("ALTER TABLE posts ADD COLUMN draft text", "ALTER TABLE posts DROP COLUMN draft");
        Recorder first = new Recorder();
        PgFlash flash = consumer(driver(group).build(), first);
        db.execute("INSERT INTO posts VALUES (1, 'read')");
        first.awaitSingle();
        // once it has read everything, the group records the layout it read in
        await().until(() -> queryLong("SELECT count(*) FROM durable_" + group + ".read_layouts") == 1);
        flash.close();
        db.execute("INSERT INTO posts VALUES (2, 'while away')", "ALTER TABLE posts ADD COLUMN likes int",
                "INSERT INTO posts VALUES (3, 'after', 5)");

        Recorder second = new Recorder();
        consumer(driver(group).build(), second);
        List<ChangeEvent> events = second.awaitEvents(2);
        assertThat(events.get(0).row().columns()).containsExactly("id", "title");
        assertThat(events.get(0).row().get("title")).isEqualTo("while away");
        assertThat(events.get(1).row().get("likes")).isEqualTo(5);
        assertThat(second.gaps).isEmpty();
    }

    @Test
    void aColumnRenamedWhileRunningArrivesByItsNewName() {
        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();
        db.execute("ALTER TABLE posts RENAME COLUMN title TO headline", "INSERT INTO posts VALUES (2, 'after')");
        assertThat(recorder.awaitEvents(2).get(1).row().get("headline")).isEqualTo("after");
    }

    @Test
    void aColumnDroppedAndAnotherAddedWhileRunningIsNeverReadUnderTheOldName() throws Exception {
        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();
        await().until(() -> layoutsRecorded("LL") == 1);
        db.execute("ALTER TABLE posts DROP COLUMN title", "ALTER TABLE posts ADD COLUMN body text",
                "INSERT INTO posts VALUES (2, 'after')");
        // as wide as the rows before: not guessed, kept and announced, until the group has read everything again
        await().until(() -> recorder.gaps.size() == 1);
        await().until(() -> layoutsRecorded("LDL") == 1);
        db.execute("INSERT INTO posts VALUES (3, 'later')");
        List<ChangeEvent> events = recorder.awaitEvents(2);
        assertThat(ids(events)).containsExactly(1, 3);
        assertThat(events.get(1).row().columns()).containsExactly("id", "body");
        assertThat(events.get(1).row().get("body")).isEqualTo("later");
        assertThat(queryLong("SELECT count(*) FROM durable_" + group + ".dead_letters WHERE row_data LIKE '%after%'"))
                .isEqualTo(1);
    }

    @Test
    void aLayoutIsRecordedOnlyOnceWhatWasReadBeforeItIsHandled() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recorder recorder = new Recorder();
        heldUpConsumer(driver(group).build(), recorder, release, event -> true);
        try {
            await().until(() -> layoutsRecorded("LL") == 1);
            db.execute("INSERT INTO posts VALUES (1, 'held by its listener')",
                    "ALTER TABLE posts ADD COLUMN likes int", "INSERT INTO posts VALUES (2, 'wider', 5)");
            recorder.awaitSingle();
            // event 1 is not handled: after a crash it would be read again, in the layout before the ALTER
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> layoutsRecorded("LLL") == 0);
        } finally {
            release.countDown();
        }
        await().until(() -> layoutsRecorded("LLL") == 1);
    }

    private long layoutsRecorded(String layout) {
        return queryLong("SELECT count(*) FROM durable_" + group + ".read_layouts WHERE layout = '" + layout + "'");
    }

    @Test
    void aGroupWhoseReaderEndedIsNotKeptAliveByItsHeartbeat() throws Exception {
        consumer(driver(group).groupExpiry(Duration.ofSeconds(2)).build(), new Recorder());
        Thread reader = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("pgflash-durable-" + group)).findFirst().orElseThrow();
        reader.interrupt(); // a reader that ends while the client runs
        reader.join(10_000);
        db.execute("UPDATE durable_" + group + ".groups SET seen_at = now() - interval '1 hour'");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> queryLong("SELECT count(*) FROM durable_" + group + ".groups"
                        + " WHERE seen_at > now() - interval '1 minute'") == 0);
    }

    @Test
    void rowsThatNoLongerFitTheirTableAreKeptAsDeadLettersAndAnnouncedAsGaps() throws Exception {
        Recorder first = new Recorder();
        PgFlash flash = consumer(driver(group).build(), first);
        db.execute("INSERT INTO posts VALUES (1, 'read')");
        first.awaitSingle();
        await().until(() -> queryLong("SELECT count(*) FROM durable_" + group + ".read_layouts") == 1);
        flash.close();
        // a column dropped and another added: rows of two values from before and after cannot be told apart
        db.execute("INSERT INTO posts VALUES (2, 'before')", "ALTER TABLE posts DROP COLUMN title",
                "ALTER TABLE posts ADD COLUMN body text", "INSERT INTO posts VALUES (3, 'after')");

        Recorder second = new Recorder();
        consumer(driver(group).build(), second);
        await().until(() -> second.gaps.size() == 2);
        assertThat(second.gaps.get(0).reason()).contains("posts", "dead_letters");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT subscription, operation, row_data, error"
                        + " FROM durable_" + group + ".dead_letters WHERE grp = '" + group + "' ORDER BY id")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(RoundReader.UNREADABLE);
            assertThat(rs.getString(2)).isEqualTo("INSERT");
            assertThat(rs.getString(3)).contains("before");
            assertThat(rs.getString(4)).contains("more than one way");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(3)).contains("after");
        }
        // once it has read everything, it records the new layout, and rows are placed by it again
        await().until(() -> queryLong("SELECT count(*) FROM durable_" + group + ".read_layouts"
                + " WHERE layout = 'LDL'") == 1);
        db.execute("INSERT INTO posts VALUES (4, 'caught up')");
        assertThat(second.awaitSingle().row().get("body")).isEqualTo("caught up");
    }

    @Test
    void aNewGroupStartsAfterEverythingCommittedBeforeItJoined() {
        consumer(driver(group + "first").build(), new Recorder()).close(); // its triggers stay and record
        db.execute("INSERT INTO posts VALUES (1, 'before the new group')");
        // the new group's reader knows posts from the start (as after a restart), so nothing hides a wrong start
        db.execute("INSERT INTO durable_" + group + ".durable_captures SELECT '" + group + "new', relid, operation"
                + " FROM durable_" + group + ".durable_captures WHERE grp = '" + group + "first'");

        Recorder recorder = new Recorder();
        consumer(driver(group + "new").build(), recorder);
        db.execute("INSERT INTO posts VALUES (2, 'after it joined')");
        assertThat(ids(recorder.awaitEvents(1))).containsExactly(2);
    }

    @Test
    void theBacklogOfTablesCapturedInAnEarlierRunIsReadBeforeTheyAreCapturedAgain() throws Exception {
        consumer(driver(group).build(), new Recorder()).close();
        db.execute("INSERT INTO posts VALUES (1, 'while down')");
        List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        EventSink sink = new EventSink() {
            @Override
            public void accept(List<ChangeEvent> events, Position upTo) {
                received.addAll(events);
            }

            @Override
            public void gap(StreamGap gap) {
            }
        };
        DurableDriver driver = driver(group).build();

        // the client starts its driver and only then captures its tables again: reading may begin in between
        driver.start(new DriverContext(ConnectionFactory.of(db.jdbcUrl(), db.user(), db.password()), new Catalog(),
                sink, new PgFlashObserver() {}));
        try {
            await().until(() -> !received.isEmpty());
            assertThat(ids(received)).containsExactly(1);
        } finally {
            driver.stop();
            driver.close();
        }
    }

    @Test
    void aBacklogOfManyBatchesArrivesOnceInCommitOrderWhileWritesGoOn() {
        Recorder first = new Recorder();
        consumer(driver(group).batchSize(50).build(), first).close();
        db.execute("INSERT INTO posts SELECT g, 'backlog' FROM generate_series(1, 10) g");
        for (int i = 11; i <= 400; i++) {
            db.execute("INSERT INTO posts VALUES (" + i + ", 'backlog')"); // one event row each: 8 batches and more
        }

        Recorder second = new Recorder();
        consumer(driver(group).batchSize(50).build(), second);
        db.execute("INSERT INTO posts SELECT g, 'while draining' FROM generate_series(401, 500) g");
        List<ChangeEvent> events = second.awaitEvents(500);
        assertThat(ids(events)).isEqualTo(java.util.stream.LongStream.rangeClosed(1, 500).boxed()
                .map(id -> (Object) id.intValue()).toList());
        assertThat(events).extracting(ChangeEvent::position).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void twoGroupsConsumeIndependently() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        consumer(driver(group + "a").build(), a);
        PgFlash second = consumer(driver(group + "b").build(), b);
        db.execute("INSERT INTO posts VALUES (1, 'x')");
        a.awaitSingle();
        b.awaitSingle();
        second.close();

        db.execute("INSERT INTO posts VALUES (2, 'y')");

        assertThat(ids(a.awaitEvents(2))).containsExactly(1, 2);
        Recorder again = new Recorder();
        consumer(driver(group + "b").build(), again);
        assertThat(ids(again.awaitEvents(1))).containsExactly(2);
    }

    @Test
    void groupsOfDifferentSchemasNeverTakeEachOthersTurn() {
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        // schema "…:x" with group "y", and schema "…" with group "x:y"
        consumer(DurableDriver.builder().schema("durable_" + group + ":x").group("y").build(), first);
        consumer(DurableDriver.builder().schema("durable_" + group).group("x:y").build(), second);
        db.execute("INSERT INTO posts VALUES (1, 'for both')");
        assertThat(ids(first.awaitEvents(1))).containsExactly(1);
        assertThat(ids(second.awaitEvents(1))).containsExactly(1);
    }

    @Test
    void aSchemaNameWithPercentSignsCapturesAndDelivers() {
        Recorder recorder = new Recorder();
        consumer(DurableDriver.builder().schema("durable_" + group + "%n%s%").group("p").build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'through a schema named with %')");
        assertThat(ids(recorder.awaitEvents(1))).containsExactly(1);
    }

    @Test
    void aTransactionThatCommitsLateIsNotSkipped() throws Exception {
        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);

        try (Connection early = db.connect(); Connection late = db.connect()) {
            early.setAutoCommit(false);
            early.createStatement().execute("INSERT INTO posts VALUES (1, 'lower id, commits last')");
            late.setAutoCommit(false);
            late.createStatement().execute("INSERT INTO posts VALUES (2, 'higher id, commits first')");
            late.commit();
            recorder.awaitSingle(); // the consumer has moved past the higher id
            early.commit();
        }

        assertThat(ids(recorder.awaitEvents(2))).containsExactly(2, 1);
    }

    @Test
    void aRoundCutByAnotherGroupWhileTheReaderWaitedIsSeenUnderARepeatableReadDefault() throws Exception {
        String schema = "durable_" + group;
        AtomicInteger failedAttempts = new AtomicInteger();
        String url = db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?")
                + "options=-c%20default_transaction_isolation%3Drepeatable%5C%20read";
        PgFlash flash = PgFlash.builder().jdbcUrl(url, db.user(), db.password()).driver(driver(group).build())
                .observer(new PgFlashObserver() {
                    @Override
                    public void reconnecting() {
                        failedAttempts.incrementAndGet();
                    }
                }).build();
        closeAfterTest(flash);
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
        flash.start();
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();

        try (Connection otherGroup = db.connect()) {
            otherGroup.setAutoCommit(false);
            try (PreparedStatement lock = otherGroup.prepareStatement("SELECT pg_advisory_xact_lock("
                    + TriggerSql.LOCK_NAMESPACE + ", hashtext(? || ':rounds'))")) {
                lock.setString(1, schema);
                lock.execute();
            }
            db.execute("INSERT INTO posts VALUES (2, 'while the reader waits for the rounds lock')");
            await().until(() -> queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    + " AND classid = " + TriggerSql.LOCK_NAMESPACE) == 1);
            new DurableStore(new DurableSchema(schema)).cutRound(otherGroup, "other", Long.MAX_VALUE);
            otherGroup.commit();
        }

        assertThat(ids(recorder.awaitEvents(2))).containsExactly(1, 2);
        assertThat(failedAttempts).as("the reader cut its round from what was committed when it got the lock")
                .hasValue(0);
    }

    @Test
    void aGroupResumingInsideARoundSeesThePositionsOtherGroupsSaw() {
        Recorder first = new Recorder();
        consumer(driver(group + "a").batchSize(7).build(), first);
        consumer(driver(group + "b").build(), new Recorder()).close(); // joins, then stays away
        db.execute("DO $$ BEGIN FOR i IN 1..100 LOOP INSERT INTO posts VALUES (i, 't'); END LOOP; END $$",
                "INSERT INTO posts SELECT g, 'u' FROM generate_series(101, 110) g");
        List<ChangeEvent> seen = first.awaitEvents(110);
        Map<Object, Position> positions = seen.stream()
                .collect(Collectors.toMap(e -> e.row().get("id"), ChangeEvent::position));

        // the second group stopped after handling id 42, inside the round of the 100-statement transaction
        db.execute("UPDATE durable_" + group + ".groups SET cursor = " + positions.get(42).major()
                + " WHERE name = '" + group + "b'");
        Recorder resumed = new Recorder();
        consumer(driver(group + "b").batchSize(7).build(), resumed);

        List<ChangeEvent> again = resumed.awaitEvents(68);
        assertThat(ids(again)).isEqualTo(IntStream.rangeClosed(43, 110).boxed().toList());
        assertThat(again).allSatisfy(e -> assertThat(e.position()).isEqualTo(positions.get(e.row().get("id"))));
    }

    /** Idle consumers of this test's schema holding the wake-up lock. */
    private long armedConsumers() {
        return queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted"
                + " AND mode = 'ExclusiveLock' AND classid = " + DurableSchema.WAKE_UP_NAMESPACE + " AND objid = "
                + (new DurableSchema("durable_" + group).wakeUpLockId() & 0xFFFF_FFFFL));
    }

    @Test
    void aWriterThatCheckedBeforeTheConsumerArmedIsFoundWithoutItsNotify() throws Exception {
        Recorder recorder = new Recorder();
        consumer(driver(group).pollInterval(Duration.ofMinutes(5)).build(), recorder);
        await().until(() -> armedConsumers() == 1);
        try (Connection holder = db.connect(); Connection writer = db.connect()) {
            // a writer between its check and its commit holds the wake-up lock shared: one queues for it now and gets
            // it when the consumer, woken, lets go, so the consumer cannot arm again while it is held
            holder.setAutoCommit(false);
            CompletableFuture<Void> holding = CompletableFuture.runAsync(() -> {
                try {
                    holder.createStatement().execute("SELECT pg_advisory_xact_lock_shared("
                            + new DurableSchema("durable_" + group).wakeUpLockKey() + ")");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().until(() -> queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                    + " AND datname = current_database()") == 1);
            db.execute("INSERT INTO posts VALUES (1, 'wakes the consumer')");
            holding.get();
            recorder.awaitSingle();
            writer.setAutoCommit(false);
            writer.createStatement().execute("INSERT INTO posts VALUES (2, 'checked while no consumer was armed')");
            holder.commit();
            assertThat(armedConsumers()).as("the consumer cannot arm while the writer is open").isZero();

            writer.commit();
            // it sent no NOTIFY: a consumer that armed and waited would sleep for its 5 min poll interval
            assertThat(ids(recorder.awaitEvents(2))).containsExactly(1, 2);
            await().until(() -> armedConsumers() == 1);
        }
    }

    @Test
    void whatTheArmingLookFindsIsHandedOverDisarmedSoWritersDoNotNotifyMeanwhile() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recorder recorder = new Recorder();
        // a slow listener from event 2 on: what follows fills its queue
        heldUpConsumer(driver(group).pollInterval(Duration.ofMinutes(5)).batchSize(2000).build(), recorder, release,
                event -> !event.row().get("id").equals(1));
        await().until(() -> armedConsumers() == 1);
        try (Connection holder = db.connect(); Connection writer = db.connect()) {
            holder.setAutoCommit(false);
            CompletableFuture<Void> holding = CompletableFuture.runAsync(() -> {
                try {
                    holder.createStatement().execute("SELECT pg_advisory_xact_lock_shared("
                            + new DurableSchema("durable_" + group).wakeUpLockKey() + ")");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().until(() -> queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                    + " AND datname = current_database()") == 1);
            db.execute("INSERT INTO posts VALUES (1, 'wakes the consumer')");
            holding.get();
            recorder.awaitSingle();
            writer.setAutoCommit(false);
            writer.createStatement().execute("INSERT INTO posts SELECT g, 'more than a queue holds'"
                    + " FROM generate_series(2, 1501) g");
            holder.commit();
            writer.commit(); // no NOTIFY: the consumer finds these rows with the look after it arms

            await().until(() -> recorder.count() >= 2);
            // the consumer waits for room in the queue, and not while armed, when every writer would notify
            await().atMost(Duration.ofSeconds(5)).until(() -> armedConsumers() == 0);
            release.countDown();
            recorder.awaitEvents(1501);
        } finally {
            release.countDown();
        }
    }

    @Test
    void writersThatPrepareTheirTransactionsAreNotRefusedWhileTheConsumerIsArmed() throws Exception {
        assumeTrue(TestPostgres.canStartDedicated());
        try (TestPostgres.Dedicated server = TestPostgres.dedicated(Map.of("max_prepared_transactions", "2"))) {
            TestDatabase database = server.postgres().createDatabase();
            database.execute("CREATE TABLE posts (id int PRIMARY KEY, title text)");
            Recorder recorder = new Recorder();
            PgFlash flash = PgFlash.builder().jdbcUrl(database.jdbcUrl(), database.user(), database.password())
                    .driver(driver(group).build()).build();
            closeAfterTest(flash);
            flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
            flash.start();
            try (Connection writer = database.connect()) {
                await().until(() -> {
                    try (ResultSet rs = writer.createStatement().executeQuery("SELECT count(*) FROM pg_locks"
                            + " WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND granted AND classid = "
                            + DurableSchema.WAKE_UP_NAMESPACE)) {
                        rs.next();
                        return rs.getLong(1) == 1;
                    }
                });
                writer.setAutoCommit(false);
                writer.createStatement().execute("INSERT INTO posts VALUES (1, 'two-phase')");
                // PostgreSQL refuses to prepare a transaction that sent a NOTIFY
                writer.createStatement().execute("PREPARE TRANSACTION 'pgflash_durable_test'");
                writer.setAutoCommit(true);
                writer.createStatement().execute("COMMIT PREPARED 'pgflash_durable_test'");
            }
            assertThat(ids(recorder.awaitEvents(1))).as("found by the consumer's poll").containsExactly(1);
            flash.close();
        }
    }

    @Test
    void aReaderHeldUpByItsListenersDoesNotListenSoWakeUpsForOthersDoNotPileUpOnIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recorder recorder = new Recorder();
        heldUpConsumer(driver(group).build(), recorder, release, event -> true);
        try {
            db.execute("INSERT INTO posts SELECT g, 'more than a queue holds' FROM generate_series(1, 1500) g");
            recorder.awaitSingle(); // the listener holds the first; the reader waits for room behind it
            // wake-ups meant for another group's idle consumer (the channel is the schema's): if the held-up reader
            // listened, its server session would fill the socket to it and wait there, holding the NOTIFY queue back
            String payload = "x".repeat(7000);
            try (Connection notifier = db.connect(); Statement statement = notifier.createStatement()) {
                for (int i = 0; i < 2000; i++) {
                    statement.execute("NOTIFY " + new DurableSchema("durable_" + group).channel() + ", '" + payload + i
                            + "'");
                }
            }
            assertThat(queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'ClientWrite'"
                    + " AND datname = current_database()")).isZero();
        } finally {
            release.countDown();
        }
        recorder.awaitEvents(1500);
    }

    @Test
    void aChangeThatWaitedForAnotherTransactionComesAfterItInTheSameRound() throws Exception {
        consumer(driver(group).build(), new Recorder()).close(); // away: what follows lands in one round
        db.execute("INSERT INTO posts VALUES (1, 'first')");
        try (Connection older = db.connect(); Connection younger = db.connect()) {
            older.setAutoCommit(false);
            older.createStatement().execute("INSERT INTO posts VALUES (2, 'gives the older transaction its id')");
            younger.setAutoCommit(false);
            younger.createStatement().execute("UPDATE posts SET title = 'younger' WHERE id = 1");
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(
                    () -> {
                        try {
                            older.createStatement().execute("UPDATE posts SET title = 'older' WHERE id = 1");
                            older.commit();
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
            await().until(() -> queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE 'UPDATE posts%' AND datname = current_database()") == 1);
            younger.commit();
            waiting.get();
        }

        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);
        List<ChangeEvent> updates = recorder.awaitEvents(4).stream()
                .filter(e -> e.operation() == Operation.UPDATE).toList();
        assertThat(updates).extracting(e -> e.newRow().get("title")).containsExactly("younger", "older");
    }

    @Test
    void rowsOfTheEarlierOneRowPerStatementLayoutStillArrive() {
        Recorder recorder = new Recorder();
        consumer(driver(group).build(), recorder);
        // as the trigger wrote them before it wrote one row per changed row: a statement's items, length-prefixed
        db.execute("INSERT INTO durable_" + group + ".events (xid, relid, op, stamp, body)"
                + " VALUES (pg_current_xact_id(), 'posts'::regclass, 'I', now(), '8:N(1,abc)8:N(2,def)')");

        assertThat(recorder.awaitEvents(2)).extracting(e -> e.row().get("title")).containsExactly("abc", "def");
    }

    @Test
    void aSchemaOfTheOlderLayoutIsRefusedWithTheWayOut() {
        db.execute("CREATE SCHEMA durable_" + group, "CREATE TABLE durable_" + group + ".events (id bigserial,"
                + " seq bigint, relid oid, op char(1), xid bigint, stamp timestamptz, body text)");

        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(driver(group).build()).build();
        closeAfterTest(flash);

        assertThatThrownBy(flash::start).hasMessageContaining("layout of an older pgflash")
                .hasMessageContaining("DROP SCHEMA durable_" + group + " CASCADE");
        assertThat(queryLong("SELECT count(*) FROM pg_tables WHERE schemaname = 'durable_" + group + "'"))
                .as("nothing installed").isEqualTo(1);
    }

    @Test
    void settingsOutOfRangeAreRefusedByNameWithTheFix() {
        assertThatThrownBy(() -> DurableDriver.builder().batchSize(0).build())
                .hasMessageContaining("batch size is 0").hasMessageContaining("1 or more");
        assertThatThrownBy(() -> DurableDriver.builder().pollInterval(Duration.ZERO).build())
                .hasMessageContaining("poll interval is PT0S");
        assertThatThrownBy(() -> DurableDriver.builder().groupExpiry(Duration.ofMillis(500)).build())
                .hasMessageContaining("group expiry is PT0.5S").hasMessageContaining("PT1S or more");
        assertThatThrownBy(() -> WalDriver.builder().statusInterval(Duration.ZERO))
                .hasMessageContaining("WAL status interval is PT0S").hasMessageContaining("PT0.001S or more");
        assertThatThrownBy(() -> WalDriver.builder().heartbeatInterval(Duration.ofSeconds(-1)))
                .hasMessageContaining("WAL heartbeat interval is PT-1S").hasMessageContaining("PT0S or more");
        assertThatThrownBy(() -> NotifyDriver.builder().connectionCheckInterval(Duration.ZERO))
                .hasMessageContaining("notify connection check interval is PT0S");
        assertThatThrownBy(() -> PgFlash.builder().shutdownTimeout(Duration.ofSeconds(-5)))
                .hasMessageContaining("shutdown timeout is PT-5S").hasMessageContaining("PT0S or more");
        assertThatThrownBy(() -> DurableDriver.builder().group(" ").build())
                .hasMessageContaining("group name is empty");
        assertThatThrownBy(() -> DurableDriver.builder().schema("a$pgflash$b").build())
                .hasMessageContaining("must not contain '$'");
        assertThatThrownBy(() -> DurableDriver.builder().schema("a\\b").build())
                .hasMessageContaining("must not contain a backslash");
        assertThatThrownBy(() -> DurableDriver.builder().schema("s".repeat(47)).build())
                .hasMessageContaining("too long for its trigger names").hasMessageContaining("at most 46 bytes");
    }

    @Test
    void theLongestSchemaNameAllowedKeepsItsTriggersAcrossRestarts() {
        String schema = ("durable_" + group + "_").concat("s".repeat(46)).substring(0, 46);
        db.execute("CREATE TABLE IF NOT EXISTS comments (id int PRIMARY KEY)");
        for (int start = 1; start <= 2; start++) {
            Recorder recorder = new Recorder();
            PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                    .driver(DurableDriver.builder().schema(schema).group(group).build()).build();
            flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
            flash.subscribe(SubscriptionSpec.table("comments").build(), recorder);
            flash.start(); // the second start finds the triggers the first created
            closeAfterTest(flash);
            db.execute("TRUNCATE posts");
            assertThat(recorder.awaitSingle().operation()).isEqualTo(Operation.TRUNCATE);
            flash.close();
        }
    }

    @Test
    void consumedEventsAreDeletedAndUnconsumedOnesKeptUntilTheirGroupExpires() throws Exception {
        consumer(driver(group + "slow").build(), new Recorder()).close(); // joins, then stays away
        Recorder recorder = new Recorder();
        DurableDriver active = driver(group + "fast").retentionInterval(Duration.ofMillis(100)).build();
        consumer(active, recorder);
        db.execute("INSERT INTO posts SELECT g, 't' FROM generate_series(1, 3) g",
                "INSERT INTO posts VALUES (4, 'u')");
        recorder.awaitEvents(4);
        long passes = active.retentionPasses();

        // cleaned up twice since: the slow group has not consumed them, so they are kept
        await().until(() -> active.retentionPasses() >= passes + 2);
        assertThat(eventRows()).as("one per row").isEqualTo(4);

        db.execute("UPDATE durable_" + group + ".groups SET seen_at = now() - interval '8 days'"
                + " WHERE name = '" + group + "slow'");
        await().until(() -> eventRows() == 0);
        assertThat(active.expiredGroups()).isEqualTo(1);
    }

    @Test
    void eachGroupIsJudgedByItsOwnExpiry() throws Exception {
        consumer(driver(group + "weekly").build(), new Recorder()).close(); // away, but within its 7 days
        Duration shortExpiry = Duration.ofSeconds(2);
        DurableDriver brief = driver(group + "brief").groupExpiry(shortExpiry)
                .retentionInterval(Duration.ofMillis(100)).build();
        Recorder recorder = new Recorder();
        consumer(brief, recorder);
        db.execute("INSERT INTO posts VALUES (1, 'kept for the weekly group')");
        recorder.awaitSingle();

        await().during(shortExpiry.multipliedBy(2)).atMost(shortExpiry.multipliedBy(4))
                .until(() -> eventRows() == 1 && brief.expiredGroups() == 0);
        Recorder weekly = new Recorder();
        consumer(driver(group + "weekly").build(), weekly);
        assertThat(ids(weekly.awaitEvents(1))).containsExactly(1);
        assertThat(weekly.gaps).isEmpty();
    }

    @Test
    void aGroupThatIsRunningButStuckIsNotTakenForGone() throws Exception {
        Duration expiry = Duration.ofSeconds(2);
        AtomicBoolean broken = new AtomicBoolean(true);
        PgFlash stuck = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(driver(group + "stuck").groupExpiry(expiry).build()).build();
        closeAfterTest(stuck);
        stuck.subscribe(SubscriptionSpec.table("posts").errorPolicy(ErrorPolicy.block(BackOff.fixed(
                Duration.ofMillis(50)))).build(), event -> {
                    if (broken.get()) {
                        throw new IllegalStateException("downstream is down");
                    }
                });
        stuck.start();
        Recorder recorder = new Recorder();
        consumer(driver(group + "fast").groupExpiry(expiry).retentionInterval(Duration.ofMillis(100)).build(),
                recorder);

        db.execute("INSERT INTO posts VALUES (1, 'blocks the stuck group')");
        recorder.awaitSingle();
        // the stuck group's reader waits on its listener for longer than the expiry: its event must stay
        await().during(expiry.multipliedBy(2)).atMost(expiry.multipliedBy(3)).until(() -> eventRows() == 1);
        broken.set(false);
    }

    @Test
    void aConsumerLettingGoOfTheWakeUpLockUnwokenTellsTheOtherGroups() throws Exception {
        // another group's consumer cannot arm while this one is, and writers notify nobody once it lets go
        try (Connection otherGroup = db.connect()) {
            otherGroup.createStatement().execute("LISTEN " + TableName.quote("durable_" + group + "_durable"));
            consumer(driver(group).pollInterval(Duration.ofMillis(300)).build(), new Recorder());
            PGConnection listening = otherGroup.unwrap(PGConnection.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                PGNotification[] woken = listening.getNotifications(100);
                return woken != null && woken.length > 0; // no writes: only the consumer letting go
            });
        }
    }

    @Test
    void aWriterLeftOpenKeepsTheConsumerFromArmingButNotFromItsChores() throws Exception {
        Recorder recorder = new Recorder();
        consumer(driver(group).retentionInterval(Duration.ofMillis(100)).build(), recorder);
        try (Connection writer = db.connect()) {
            // an open writer holds the wake-up lock shared (a session lock here: the same to the consumer)
            writer.createStatement().execute("SELECT pg_advisory_lock_shared("
                    + new DurableSchema("durable_" + group).wakeUpLockKey() + ")");
            db.execute("INSERT INTO posts VALUES (1, 'while a writer is open')");
            recorder.awaitSingle();
            // it keeps looking instead of waiting armed, and still saves its cursor and deletes what it consumed
            await().until(() -> eventRows() == 0);
        }
    }

    @Test
    void startingDoesNotWaitForAWriterLeftOpen() throws Exception {
        consumer(driver(group).build(), new Recorder()).close();
        try (Connection writer = db.connect()) {
            writer.setAutoCommit(false);
            writer.createStatement().execute("INSERT INTO posts VALUES (1, 'left open')"); // its trigger wrote events
            // a second start finds everything installed: it must not lock the event table against this writer
            CompletableFuture<PgFlash> starting = CompletableFuture.supplyAsync(
                    () -> consumer(driver(group).build(), new Recorder()));
            assertThat(starting).succeedsWithin(Duration.ofSeconds(20));
            writer.rollback();
        }
    }

    @Test
    void aStandbyReportsExpiredGroupsToo() {
        consumer(driver(group + "away").build(), new Recorder()).close();
        db.execute("UPDATE durable_" + group + ".groups SET seen_at = now() - interval '8 days'"
                + " WHERE name = '" + group + "away'");
        consumer(driver(group).build(), new Recorder());
        DurableDriver standby = driver(group).build();
        consumer(standby, new Recorder());

        assertThat(standby.state()).isEqualTo(DriverState.STANDBY);
        assertThat(standby.expiredGroups()).isEqualTo(1);
    }

    @Test
    void aGroupBackAfterItExpiredIsToldWhatWasDeletedAndReadsOn() throws Exception {
        consumer(driver(group + "away").build(), new Recorder()).close();
        db.execute("UPDATE durable_" + group + ".groups SET seen_at = now() - interval '8 days'"
                + " WHERE name = '" + group + "away'");
        Recorder stayed = new Recorder();
        PgFlash staying = consumer(driver(group + "stayed").retentionInterval(Duration.ofMillis(100)).build(), stayed);
        db.execute("INSERT INTO posts VALUES (1, 'while away')");
        stayed.awaitSingle();
        await().until(() -> eventRows() == 0);
        staying.close(); // nobody else cuts rounds now

        Recorder back = new Recorder();
        consumer(driver(group + "away").build(), back);
        db.execute("INSERT INTO posts VALUES (2, 'back')");
        assertThat(ids(back.awaitEvents(1))).containsExactly(2);
        assertThat(back.gaps).singleElement().satisfies(gap -> assertThat(gap.reason()).contains("expiry"));
    }

    @Test
    void aGapAtTheEndOfTheBacklogIsToldOnce() throws Exception {
        consumer(driver(group + "away").build(), new Recorder()).close();
        db.execute("UPDATE durable_" + group + ".groups SET seen_at = now() - interval '8 days'"
                + " WHERE name = '" + group + "away'");
        PgFlash staying = consumer(driver(group + "stayed").retentionInterval(Duration.ofMillis(100)).build(),
                new Recorder());
        db.execute("INSERT INTO posts VALUES (1, 'while away')");
        await().until(() -> eventRows() == 0);
        staying.close();

        Recorder back = new Recorder();
        PgFlash returned = consumer(driver(group + "away").build(), back);
        await().until(() -> back.gaps.size() == 1); // nothing follows the deleted events
        await().until(() -> queryLong("SELECT cursor FROM durable_" + group + ".groups WHERE name = '" + group
                + "away'") >= 1);
        returned.close();

        Recorder again = new Recorder();
        consumer(driver(group + "away").build(), again);
        db.execute("INSERT INTO posts VALUES (2, 'later')");
        assertThat(ids(again.awaitEvents(1))).containsExactly(2);
        assertThat(again.gaps).isEmpty();
    }

    private long eventRows() throws Exception {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM durable_" + group + ".events")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void blockPolicyRetriesTheFailingEventAndDeliversNothingAfterIt() {
        AtomicBoolean broken = new AtomicBoolean(true);
        Recorder recorder = new Recorder();
        Recorder handled = new Recorder();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(driver(group).build()).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts")
                .errorPolicy(ErrorPolicy.block(BackOff.fixed(Duration.ofMillis(20)))).build(), event -> {
                    recorder.onChange(event);
                    if (event.row().get("id").equals(2) && broken.get()) {
                        throw new IllegalStateException("downstream is down");
                    }
                    handled.onChange(event);
                });
        flash.start();

        db.execute("INSERT INTO posts VALUES (1, 'a')", "INSERT INTO posts VALUES (2, 'b')",
                "INSERT INTO posts VALUES (3, 'c')");
        await().until(() -> recorder.count() >= 5); // 1, then 2 tried again and again
        assertThat(ids(handled.events())).containsExactly(1);

        broken.set(false);
        assertThat(ids(handled.awaitEvents(3))).containsExactly(1, 2, 3);
    }

    /**
     * A started client whose subscription "poisoned" (skip policy) fails on the row with id 1 and hands the others to
     * {@code handled}; returns how often it failed.
     */
    private AtomicInteger poisonedConsumer(Recorder handled) {
        AtomicInteger failures = new AtomicInteger();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(driver(group).build()).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").id("poisoned").errorPolicy(ErrorPolicy.skip()).build(),
                event -> {
                    if (event.row().get("id").equals(1)) {
                        failures.incrementAndGet();
                        throw new IllegalArgumentException("poison");
                    }
                    handled.onChange(event);
                });
        flash.start();
        return failures;
    }

    @Test
    void anEventWhoseDeadLetterCannotBeWrittenIsNotPassedOver() throws Exception {
        Recorder handled = new Recorder();
        AtomicInteger failures = poisonedConsumer(handled);
        String deadLetters = "durable_" + group + ".dead_letters";
        db.execute("CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN RAISE 'no space left' USING ERRCODE = 'disk_full'; END $$",
                "CREATE TRIGGER refuse BEFORE INSERT ON " + deadLetters + " FOR EACH ROW EXECUTE FUNCTION refuse()");

        db.execute("INSERT INTO posts VALUES (1, 'bad')", "INSERT INTO posts VALUES (2, 'good')");
        await().until(() -> failures.get() > 0);
        // the event given up on is kept nowhere: the group neither passes it nor delivers what follows
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> handled.count() == 0
                && queryLong("SELECT cursor FROM durable_" + group + ".groups WHERE name = '" + group + "'") < 1);

        db.execute("DROP TRIGGER refuse ON " + deadLetters, "DROP FUNCTION refuse()");
        assertThat(ids(handled.awaitEvents(1))).containsExactly(2);
        assertThat(queryLong("SELECT count(*) FROM " + deadLetters + " WHERE row_data LIKE '%bad%'")).isEqualTo(1);
    }

    @Test
    void anEventWhoseDeadLetterIsRefusedForGoodIsLoggedAndPassed() {
        Recorder handled = new Recorder();
        poisonedConsumer(handled);
        // a letter the database will never take (as a NUL byte in the error would be): waiting changes nothing
        db.execute("CREATE OR REPLACE FUNCTION refuse_for_good() RETURNS trigger LANGUAGE plpgsql AS"
                        + " $$ BEGIN RAISE 'cannot store this' USING ERRCODE = 'character_not_in_repertoire'; END $$",
                "CREATE TRIGGER refuse BEFORE INSERT ON durable_" + group + ".dead_letters FOR EACH ROW"
                        + " EXECUTE FUNCTION refuse_for_good()");

        db.execute("INSERT INTO posts VALUES (1, 'bad')", "INSERT INTO posts VALUES (2, 'good')");

        assertThat(ids(handled.awaitEvents(1))).containsExactly(2);
    }

    @Test
    void bothHalvesOfASplitKeyChangeGivenUpOnAreDeadLetters() {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(driver(group).build()).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").id("split").splitKeyChanges(true)
                .errorPolicy(ErrorPolicy.skip()).build(), event -> {
                    throw new IllegalArgumentException("poison");
                });
        flash.start();

        db.execute("INSERT INTO posts VALUES (1, 'a')", "UPDATE posts SET id = 2 WHERE id = 1");

        // the insert, then the update as a delete and an insert sharing one position
        await().until(() -> queryLong("SELECT count(*) FROM durable_" + group + ".dead_letters") == 3);
    }

    @Test
    void anEventGivenUpOnAgainAfterRestartsIsOneDeadLetter() {
        for (int run = 1; run <= 3; run++) {
            CountDownLatch skipped = new CountDownLatch(1);
            PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                    .driver(driver(group).build()).shutdownTimeout(Duration.ofMillis(200))
                    .observer(new PgFlashObserver() {
                        @Override
                        public void delivered(String id, List<ChangeEvent> events, Outcome outcome, Duration time) {
                            if (outcome == Outcome.SKIPPED) {
                                skipped.countDown();
                            }
                        }
                    }).build();
            closeAfterTest(flash);
            flash.subscribe(SubscriptionSpec.table("posts").id("poisoned").errorPolicy(ErrorPolicy.skip()).build(),
                    event -> {
                        throw new IllegalArgumentException("poison");
                    });
            // another subscription keeps failing on it, so the group's cursor stays before it: it comes again
            flash.subscribe(SubscriptionSpec.table("posts").id("blocked")
                    .errorPolicy(ErrorPolicy.block(BackOff.fixed(Duration.ofMillis(50)))).build(), event -> {
                        throw new IllegalStateException("not yet");
                    });
            flash.start();
            if (run == 1) {
                db.execute("INSERT INTO posts VALUES (1, 'bad')");
            }
            await().until(() -> skipped.getCount() == 0);
            flash.close();
        }
        assertThat(queryLong("SELECT count(*) FROM durable_" + group + ".dead_letters WHERE subscription = 'poisoned'"))
                .isEqualTo(1);
    }

    @Test
    void eventsGivenUpOnAreRecordedAsDeadLetters() throws Exception {
        Recorder handled = new Recorder();
        poisonedConsumer(handled);

        db.execute("INSERT INTO posts VALUES (1, 'bad')", "INSERT INTO posts VALUES (2, 'good')");

        assertThat(ids(handled.awaitEvents(1))).containsExactly(2);
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT grp, subscription, operation, row_data, error"
                        + " FROM durable_" + group + ".dead_letters WHERE grp = '" + group + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(2)).isEqualTo("poisoned");
            assertThat(rs.getString(3)).isEqualTo("INSERT");
            assertThat(rs.getString(4)).contains("id=1", "bad");
            assertThat(rs.getString(5)).contains("poison");
        }
    }
}
