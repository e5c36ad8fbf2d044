package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.test.TcpProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Snapshots beyond the contract suite: odd keys, policies they refuse, a lost watermark, a failure's notice. */
class SnapshotTest extends FlashTestBase {

    @Test
    void aTableKeyedByAFixedLengthCharacterColumnIsReadWhole() throws Exception {
        db.execute("DROP TABLE IF EXISTS coded", "CREATE TABLE coded (code char(3) PRIMARY KEY, n int)",
                "INSERT INTO coded SELECT chr(97 + g / 26) || chr(97 + g % 26) || 'x', g FROM generate_series(0, 99) g");
        PgFlash flash = client(10);
        flash.start();
        Notices listener = new Notices();
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("coded").build(), listener);

        assertThat(flash.snapshot(subscription).get(1, TimeUnit.MINUTES)).isEqualTo(100);
        await().until(() -> listener.notices.size() == 2); // COMPLETED, after every row
        assertThat(listener.reads()).isEqualTo(100);
    }

    @Test
    void keysWithQuotesBackslashesAndTabsBoundTheChunksExactly() throws Exception {
        db.execute("DROP TABLE IF EXISTS odd_keys", "CREATE TABLE odd_keys (name text PRIMARY KEY, n int)",
                "INSERT INTO odd_keys VALUES ('it''s', 1), (E'back\\\\slash', 2), (E'tab\\there', 3), ('\\N', 4),"
                        + " (E'line\\nbreak', 5), ('é ✓', 6), ('''); DROP TABLE odd_keys; --', 7)");
        assertThat(snapshotInChunksOfTwo("odd_keys", 7)).extracting(event -> event.newRow().get("name"))
                .containsExactlyInAnyOrder("it's", "back\\slash", "tab\there", "\\N", "line\nbreak", "é ✓",
                        "'); DROP TABLE odd_keys; --");
    }

    @Test
    void keysWhoseOutputTextIsNotTheirTextCastBoundTheChunksExactly() throws Exception {
        // a chunk's next start is its last row's key as output (padded character(n), inet without /32), read back
        // by the key type's input function
        db.execute("DROP TABLE IF EXISTS typed_keys", "CREATE TABLE typed_keys (code character(4), addr inet,"
                + " at timestamptz, n int, PRIMARY KEY (at, code, addr))",
                "INSERT INTO typed_keys SELECT c, a::inet, t, row_number() OVER () FROM unnest(ARRAY['a', 'ab', 'ab c'])"
                        + " c, unnest(ARRAY['10.0.0.1', '10.0.0.1/24', '::1']) a,"
                        + " unnest(ARRAY['2026-01-01 00:00:00.5+00', '2026-06-30 23:59:59+02']::timestamptz[]) t");
        assertThat(snapshotInChunksOfTwo("typed_keys", 18)).extracting(event -> event.newRow().get("n"))
                .map(Number.class::cast).map(Number::intValue)
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, 18).boxed().toList());
    }

    /** The rows a snapshot on demand of {@code table} delivers, read in chunks of two; it must deliver {@code rows}. */
    private List<ChangeEvent> snapshotInChunksOfTwo(String table, long rows) throws Exception {
        PgFlash flash = client(2);
        flash.start();
        Notices listener = new Notices();
        Subscription subscription = flash.subscribe(SubscriptionSpec.table(table).build(), listener);
        assertThat(flash.snapshot(subscription).get(1, TimeUnit.MINUTES)).isEqualTo(rows);
        await().until(() -> listener.notices.size() == 2);
        return listener.events;
    }

    @Test
    void whatASnapshotCannotKeepItsMeaningWithIsRefusedNamingTheFix() {
        assertThatThrownBy(() -> SubscriptionSpec.table("posts").resumeAfter("an id").snapshot(SnapshotMode.INITIAL)
                .build()).hasMessageContaining("a resumable subscription cannot take a snapshot");
        assertThatThrownBy(() -> SubscriptionSpec.table("posts").overflow(OverflowPolicy.cutOff(100))
                .snapshot(SnapshotMode.INITIAL).build()).hasMessageContaining("keep the default OverflowPolicy.block()");
        assertThatThrownBy(() -> SubscriptionSpec.table("posts").concurrency(4).snapshot(SnapshotMode.INITIAL)
                .build()).hasMessageContaining("leave concurrency at 1");

        db.execute("DROP TABLE IF EXISTS plain", "CREATE TABLE plain (id int PRIMARY KEY)");
        PgFlash flash = client(10);
        flash.start();
        Subscription cutOff = flash.subscribe(SubscriptionSpec.table("plain").overflow(OverflowPolicy.cutOff(100))
                .build(), new Notices());
        assertThatThrownBy(() -> flash.snapshot(cutOff)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keep the default OverflowPolicy.block()");
    }

    @Test
    void aSnapshotWhoseWatermarkWasLostInAGapReadsThatChunkAgainAndEnds() throws Exception {
        db.execute("DROP TABLE IF EXISTS lost", "CREATE TABLE lost (id int PRIMARY KEY, t text)",
                "INSERT INTO lost SELECT g, 'x' FROM generate_series(1, 50) g");
        try (TcpProxy proxy = TcpProxy.inFrontOf(db.jdbcUrl())) {
            PgFlash flash = PgFlash.builder().jdbcUrl(proxy.rewrite(db.jdbcUrl()), db.user(), db.password())
                    .driver(NotifyDriver.builder().connectionCheckInterval(Duration.ofSeconds(1))
                            .reconnectBackOff(BackOff.fixed(Duration.ofMillis(50))).build())
                    .snapshotChunkSize(10).build();
            closeAfterTest(flash);
            Notices listener = new Notices();
            Subscription subscription = flash.subscribe(SubscriptionSpec.table("lost").build(), listener);
            flash.start();
            db.execute("INSERT INTO lost VALUES (0, 'probe')");
            await().until(() -> listener.events.size() == 1); // the listening session is up

            proxy.freeze(); // it goes quiet: the watermarks sent to it are lost; the snapshot's own connection works
            long delivered = flash.snapshot(subscription).get(1, TimeUnit.MINUTES);

            assertThat(listener.gaps).isNotEmpty();
            assertThat(delivered).isEqualTo(51);
            await().until(() -> listener.notices.size() == 2);
            assertThat(listener.notices).containsExactly("STARTED 0", "COMPLETED 51");
        }
    }

    @Test
    void aStopWhileTheLastChunkWaitsForItsWatermarkLeavesTheSnapshotUnfinished() throws Exception {
        db.execute("DROP TABLE IF EXISTS waiting", "CREATE TABLE waiting (id int PRIMARY KEY)",
                "INSERT INTO waiting SELECT g FROM generate_series(1, 5) g");
        try (TcpProxy proxy = TcpProxy.inFrontOf(db.jdbcUrl())) {
            PgFlash flash = PgFlash.builder().jdbcUrl(proxy.rewrite(db.jdbcUrl()), db.user(), db.password())
                    .driver(NotifyDriver.builder().connectionCheckInterval(Duration.ofMinutes(5)).build())
                    .snapshotChunkSize(10).build();
            closeAfterTest(flash);
            Notices listener = new Notices();
            Subscription subscription = flash.subscribe(SubscriptionSpec.table("waiting").build(), listener);
            flash.start();
            db.execute("INSERT INTO waiting VALUES (0)");
            await().until(() -> listener.events.size() == 1); // the listening session is up

            proxy.freeze(); // the one chunk's watermark never arrives
            var snapshot = flash.snapshot(subscription);
            await().until(() -> flash.snapshots().stream().anyMatch(progress -> progress.rowsRead() == 6));
            flash.stop();

            assertThatThrownBy(() -> snapshot.get(1, TimeUnit.MINUTES)).hasMessageContaining("stopped");
            assertThat(listener.notices).noneMatch(notice -> notice.startsWith("COMPLETED"));
        }
    }

    @Test
    void aSnapshotThatFailsTellsItsListenerInOrderAfterItsRows() throws Exception {
        db.execute("DROP TABLE IF EXISTS unkeyed", "CREATE TABLE unkeyed (code text, body text)",
                "INSERT INTO unkeyed VALUES ('a', 'one')");
        PgFlash flash = client(10);
        flash.start();
        Notices listener = new Notices();
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("unkeyed").key("code").build(),
                listener);

        assertThatThrownBy(() -> flash.snapshot(subscription).get(1, TimeUnit.MINUTES))
                .hasMessageContaining("has no unique index");
        await().until(() -> listener.notices.size() == 2);
        assertThat(listener.notices).containsExactly("STARTED 0", "FAILED 0");
        assertThat(flash.snapshots()).singleElement().satisfies(progress -> assertThat(progress.failure())
                .contains("has no unique index"));
    }

    /**
     * A chunk's watermark is written on a second connection while the next chunk is read: when that connection dies,
     * the snapshot fails as a failed read does, telling its listener after the rows it delivered, and the next snapshot
     * opens a new one.
     */
    @Test
    void aSnapshotWhoseWatermarkConnectionDiesFailsAndTheNextOneReadsTheTable() throws Exception {
        db.execute("DROP TABLE IF EXISTS marked", "CREATE TABLE marked (id int PRIMARY KEY)",
                "INSERT INTO marked SELECT g FROM generate_series(1, 3000) g");
        PgFlash flash = client(2);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Notices listener = new Notices() {
            @Override
            public void onChange(ChangeEvent event) {
                super.onChange(event);
                try {
                    release.await(); // the stream, then the snapshot, wait behind the subscription's full buffer
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("marked").build(), listener);
        flash.start();
        var snapshot = flash.snapshot(subscription);
        await().until(() -> queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND state = 'idle' AND query = 'SELECT pg_notify($1, $2)'") == 1);

        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND query = 'SELECT pg_notify($1, $2)'");
        release.countDown();

        assertThatThrownBy(() -> snapshot.get(1, TimeUnit.MINUTES)).hasMessageContaining("Snapshot of")
                .hasMessageContaining("marked");
        await().until(() -> listener.notices.size() == 2);
        assertThat(listener.notices.get(1)).startsWith("FAILED");
        assertThat(flash.snapshot(subscription).get(1, TimeUnit.MINUTES)).isEqualTo(3000);
    }

    /** A client stopped during a snapshot it took by itself says so as information: a shutdown is no error. */
    @Test
    void aSnapshotEndedByAStopIsLoggedAsInformation() throws Exception {
        db.execute("DROP TABLE IF EXISTS halted", "CREATE TABLE halted (id int PRIMARY KEY)",
                "INSERT INTO halted SELECT g FROM generate_series(1, 3000) g");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(PgFlash.class);
        logs.start();
        logger.addAppender(logs);
        try {
            PgFlash flash = client(2);
            CountDownLatch release = new CountDownLatch(1);
            Notices listener = new Notices() {
                @Override
                public void onChange(ChangeEvent event) {
                    super.onChange(event);
                    try {
                        release.await(); // the snapshot is under way when the client stops
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            flash.subscribe(SubscriptionSpec.table("halted").snapshot(SnapshotMode.INITIAL).build(), listener);
            flash.start();
            await().until(() -> listener.reads() == 1);

            Thread stopping = new Thread(flash::stop);
            stopping.start();
            // it waits for the listener once it has told the snapshot to end
            await().until(() -> stopping.getState() == Thread.State.TIMED_WAITING
                    || stopping.getState() == Thread.State.WAITING);
            release.countDown();
            stopping.join(TimeUnit.MINUTES.toMillis(1));

            await().until(() -> logs.list.stream().anyMatch(log -> log.getFormattedMessage()
                    .contains("did not complete")));
            assertThat(logs.list).filteredOn(log -> log.getFormattedMessage().contains("did not complete"))
                    .singleElement().satisfies(log -> {
                        assertThat(log.getLevel()).isEqualTo(Level.INFO);
                        assertThat(log.getFormattedMessage()).contains("the subscription or the client stopped");
                    });
        } finally {
            logger.detachAppender(logs);
        }
    }

    /** The watermarks' connection opens with the first chunk: a table without rows is read on one connection. */
    @Test
    void aSnapshotOfAnEmptyTableOpensOneConnection() throws Exception {
        db.execute("DROP TABLE IF EXISTS vacant", "CREATE TABLE vacant (id int PRIMARY KEY)");
        ConnectionFactory url = ConnectionFactory.of(db.jdbcUrl(), db.user(), db.password());
        AtomicInteger opened = new AtomicInteger();
        PgFlash flash = PgFlash.builder().connections(() -> {
            opened.incrementAndGet();
            return url.open();
        }).driver(NotifyDriver.builder().build()).build();
        closeAfterTest(flash);
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("vacant").build(), new Notices());
        flash.start();

        int before = opened.get();
        assertThat(flash.snapshot(subscription).get(1, TimeUnit.MINUTES)).isZero();
        assertThat(opened.get() - before).isEqualTo(1);

        db.execute("INSERT INTO vacant VALUES (1)");
        before = opened.get();
        assertThat(flash.snapshot(subscription).get(1, TimeUnit.MINUTES)).isEqualTo(1);
        assertThat(opened.get() - before).isEqualTo(2);
    }

    /**
     * An initial snapshot is taken once per slot: a client of the group that keeps its slot takes none, one after the
     * slot was dropped (a new copy) takes it again, and so does one whose subscription reads through another filter.
     */
    @Test
    void anInitialSnapshotIsTakenAgainOnlyForANewSlotOrAnotherFilter() throws Exception {
        db.execute("DROP TABLE IF EXISTS kept", "CREATE TABLE kept (id int PRIMARY KEY, n int)",
                "INSERT INTO kept VALUES (1, 1), (2, 2)");
        String group = db.name() + "_once";
        Notices first = runInitial(group, true, false, "");
        assertThat(first.notices).containsExactly("STARTED 0", "COMPLETED 2");

        db.execute("INSERT INTO kept VALUES (3, 3)");
        Notices kept = runInitial(group, false, true, "");
        assertThat(kept.notices).isEmpty();
        assertThat(kept.events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT);

        Notices newSlot = runInitial(group, true, false, "");
        assertThat(newSlot.notices).containsExactly("STARTED 0", "COMPLETED 3");

        Notices filtered = runInitial(group, true, true, "n=gt.1");
        assertThat(filtered.notices).containsExactly("STARTED 0", "COMPLETED 2");
    }

    /**
     * A durable group retired as the README says (its row deleted) and made again under its name starts a new copy:
     * it takes the initial snapshot again, where the group kept before took none.
     */
    @Test
    void aRetiredDurableGroupMadeAgainTakesTheInitialSnapshotAgain() throws Exception {
        db.execute("DROP TABLE IF EXISTS kept", "CREATE TABLE kept (id int PRIMARY KEY, n int)",
                "INSERT INTO kept VALUES (1, 1), (2, 2)");
        String group = "retired_" + db.name();
        assertThat(runDurable(group, true).notices).containsExactly("STARTED 0", "COMPLETED 2");
        assertThat(runDurable(group, false).notices).isEmpty();

        db.execute("DELETE FROM pgflash.groups WHERE name = '" + group + "'");
        assertThat(runDurable(group, true).notices).containsExactly("STARTED 0", "COMPLETED 2");
    }

    private Notices runDurable(String group, boolean snapshot) throws Exception {
        return runInitial(io.pgflash.core.driver.trigger.DurableDriver.builder().group(group).build(), snapshot, "");
    }

    /**
     * Runs a WAL client of {@code group} with an initial snapshot of kept until its snapshot completed (if one is to be
     * taken) and row 0, inserted then, arrived; then closes it, dropping the slot if asked.
     */
    private Notices runInitial(String group, boolean snapshot, boolean dropSlot, String filter) throws Exception {
        return runInitial(io.pgflash.core.driver.wal.WalDriver.builder().group(group).dropSlotOnShutdown(dropSlot)
                .replicaIdentityFull(true).build(), snapshot, filter);
    }

    /** Runs a client of {@code driver} as {@link #runInitial(String, boolean, boolean, String)} describes. */
    private Notices runInitial(ChangeDriver driver, boolean snapshot, String filter) throws Exception {
        Notices listener = new Notices();
        SubscriptionSpec.Builder spec = SubscriptionSpec.table("kept").id("copy").snapshot(SnapshotMode.INITIAL);
        if (!filter.isEmpty()) {
            spec.filter(filter);
        }
        try (PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver)
                .build()) {
            flash.subscribe(spec.build(), listener);
            flash.start();
            // a snapshot taken ends before row 0 is written; one found taken leaves no notice
            await().until(() -> listener.notices.stream().anyMatch(notice -> notice.startsWith("COMPLETED"))
                    || !snapshot);
            db.execute("INSERT INTO kept VALUES (0, 10)"); // within every filter here
            // this run's INSERT, not the DELETE of row 0 a previous run may have left unconfirmed in the slot: the
            // events committed before it (row 3) have arrived once it has
            await().until(() -> listener.events.stream().anyMatch(event -> event.operation() == Operation.INSERT
                    && event.key().get("id").equals(0)));
            db.execute("DELETE FROM kept WHERE id = 0");
            await().until(() -> listener.events.stream().anyMatch(event -> event.operation() == Operation.DELETE
                    && event.key().get("id").equals(0)));
        }
        listener.events.removeIf(event -> event.key().get("id").equals(0));
        return listener;
    }

    private PgFlash client(int chunkSize) {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(NotifyDriver.builder().build())
                .snapshotChunkSize(chunkSize).build();
        closeAfterTest(flash);
        return flash;
    }

    /** Events, notices and gaps as they came. */
    private static class Notices implements ChangeListener {
        final List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        final List<String> notices = new CopyOnWriteArrayList<>();
        final List<StreamGap> gaps = new CopyOnWriteArrayList<>();

        @Override
        public void onChange(ChangeEvent event) {
            events.add(event);
        }

        @Override
        public void onSnapshot(SnapshotNotice notice) {
            notices.add(notice.phase() + " " + notice.rows());
        }

        @Override
        public void onGap(StreamGap gap) {
            gaps.add(gap);
        }

        long reads() {
            return events.stream().filter(event -> event.operation() == Operation.READ).count();
        }
    }
}
