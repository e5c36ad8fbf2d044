package io.pgflash.core.driver.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgflash.core.BackOff;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.FlashTestBase;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Recorder;
import io.pgflash.core.SnapshotMode;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.TableName;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.DriverState;
import io.pgflash.test.TcpProxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PSQLWarning;

class NotifyDriverTest extends FlashTestBase {

    @BeforeEach
    void table() {
        db.execute("DROP TABLE IF EXISTS posts CASCADE",
                "CREATE TABLE posts (id int PRIMARY KEY, title text, views int)");
    }

    @Test
    void aSchemaNameWithPercentSignsCapturesAndDelivers() {
        PgFlash flash = startFlash(NotifyDriver.builder().schema("pgflash%n%s%").removeSchemaOnShutdown(true).build());
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'through a schema named with %', 0)");
        assertThat(recorder.awaitSingle().newRow().get("id")).isEqualTo(1);
    }

    @Test
    void aValueJavaCannotHoldArrivesAsItsTextWithTheRestOfItsStatement() {
        assumeTrue(printsIntervalsBeyondJava());
        db.execute("DROP TABLE IF EXISTS spans", "CREATE TABLE spans (id int PRIMARY KEY, length interval)");
        ConnectionFactory connections = ConnectionFactory.of(db.jdbcUrl(), db.user(), db.password());
        AtomicInteger opened = new AtomicInteger();
        PgFlash flash = PgFlash.builder().connections(() -> {
            opened.incrementAndGet();
            return connections.open();
        }).driver(NotifyDriver.builder().build()).build();
        closeAfterTest(flash);
        flash.start();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("spans").build(), recorder);
        int openedBefore = opened.get();

        // more than 2^31 hours: PostgreSQL prints it, PGInterval cannot hold it
        db.execute("INSERT INTO spans SELECT g, interval '2147483647 hours' + interval '1 hour'"
                + " FROM generate_series(1, 20) g", "INSERT INTO spans VALUES (21, '1 hour')");

        List<ChangeEvent> events = recorder.awaitEvents(21);
        assertThat(events.get(0).newRow().get("length")).isEqualTo("2147483648:00:00");
        assertThat(events.get(20).newRow().get("length")).isInstanceOf(PGInterval.class);
        // the table is described again once to rule out a change, not for every such row
        assertThat(opened.get() - openedBefore).isLessThanOrEqualTo(2);
    }

    @Test
    void deliversEveryOperationInCommitOrder() {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);

        db.execute("INSERT INTO posts VALUES (1, 'hello', 0)",
                "UPDATE posts SET views = 5 WHERE id = 1",
                "DELETE FROM posts WHERE id = 1",
                "TRUNCATE posts");

        List<ChangeEvent> events = recorder.awaitEvents(4);
        assertThat(events).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.UPDATE, Operation.DELETE, Operation.TRUNCATE);
        ChangeEvent insert = events.get(0);
        assertThat(insert.table()).isEqualTo(TableName.of("public", "posts"));
        assertThat(insert.newRow().asMap()).containsEntry("id", 1).containsEntry("title", "hello").containsEntry("views", 0);
        assertThat(insert.key().asMap()).containsOnlyKeys("id").containsEntry("id", 1);
        ChangeEvent update = events.get(1);
        assertThat(update.oldRow().get("views")).isEqualTo(0);
        assertThat(update.newRow().get("views")).isEqualTo(5);
        assertThat(update.changedColumns()).containsExactly("views");
        ChangeEvent delete = events.get(2);
        assertThat(delete.newRow()).isNull();
        assertThat(delete.oldRow().get("title")).isEqualTo("hello");
        assertThat(events.get(3).row()).isNull();
        assertThat(events).extracting(ChangeEvent::position).isSorted().doesNotHaveDuplicates();
        assertThat(insert.transactionId()).isNotEqualTo(update.transactionId());
        assertThat(insert.timestamp()).isBefore(update.timestamp());
    }

    @Test
    void multiRowStatementsArriveAsOneEventPerRow() {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);

        db.execute("INSERT INTO posts SELECT g, 'row ' || g, g FROM generate_series(1, 500) g",
                "UPDATE posts SET views = views + 1",
                "DELETE FROM posts WHERE id <= 250");

        List<ChangeEvent> events = recorder.awaitEvents(1250);
        assertThat(events).hasSize(1250);
        assertThat(events.subList(0, 500)).extracting(e -> e.newRow().get("id"))
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 500).boxed().toList());
        assertThat(events.subList(500, 1000)).allSatisfy(e -> {
            assertThat(e.operation()).isEqualTo(Operation.UPDATE);
            assertThat(e.newRow().get("id")).isEqualTo(e.oldRow().get("id"));
            assertThat((Integer) e.newRow().get("views")).isEqualTo((Integer) e.oldRow().get("views") + 1);
        });
        assertThat(events.subList(1000, 1250)).extracting(ChangeEvent::operation).containsOnly(Operation.DELETE);
    }

    @Test
    void columnsNamedLikeTheTriggersAliasesAreData() {
        db.execute("CREATE TABLE aliases (id int PRIMARY KEY, n int, o int, u text, item text, body text)");
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("aliases").build(), recorder);

        db.execute("INSERT INTO aliases VALUES (1, 2, 3, 'u', 'item', 'body')", "UPDATE aliases SET n = 20",
                "DELETE FROM aliases");

        List<ChangeEvent> events = recorder.awaitEvents(3);
        assertThat(events.get(0).newRow().asMap()).containsEntry("n", 2).containsEntry("o", 3).containsEntry("u", "u");
        assertThat(events.get(1).newRow().get("n")).isEqualTo(20);
        assertThat(events.get(1).oldRow().get("n")).isEqualTo(2);
        assertThat(events.get(2).oldRow().get("item")).isEqualTo("item");
    }

    @Test
    void rowLargerThanANotifyPayloadArrivesWhole() {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
        String big = "é" + "x".repeat(1024 * 1024) + "𝄞";

        try (Connection connection = db.connect();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO posts VALUES (?, ?, 0)")) {
            insert.setInt(1, 1);
            insert.setString(2, big);
            insert.execute();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        db.execute("UPDATE posts SET views = 1", "INSERT INTO posts VALUES (2, 'small', 0)");

        List<ChangeEvent> events = recorder.awaitEvents(3);
        assertThat(events.get(0).newRow().get("title")).isEqualTo(big);
        assertThat(events.get(1).oldRow().get("title")).isEqualTo(big);
        assertThat(events.get(1).changedColumns()).containsExactly("views");
        assertThat(events.get(2).newRow().get("title")).isEqualTo("small");
    }

    /**
     * The capture's plans hold the signing key as a constant; a writer that has its session's plans printed to it
     * (any role may turn debug_print_plan on) must not be shown the key, or it could sign events of its own.
     */
    @Test
    void aWriterThatPrintsPlansIsNotShownTheSigningKey() throws Exception {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
        String key = queryString("SELECT value FROM pgflash.secret");
        // a plan prints a text constant as its bytes, wrapping lines: "[ <header> 54 102 ... ]"
        String printedKey = key.substring(0, 16).chars().mapToObj(Integer::toString)
                .collect(Collectors.joining(" ", " ", " "));

        List<String> printed = new ArrayList<>();
        try (Connection writer = db.connect(); Statement statement = writer.createStatement()) {
            statement.execute("SET debug_print_plan = on");
            statement.execute("SET client_min_messages = log");
            statement.execute("INSERT INTO posts VALUES (1, 'planned', 0)");
            for (var warning = statement.getWarnings(); warning != null; warning = warning.getNextWarning()) {
                // the plan is the message's detail
                printed.add(((PSQLWarning) warning).getServerErrorMessage().getDetail());
            }
        }

        assertThat(recorder.awaitSingle().newRow().get("title")).isEqualTo("planned");
        assertThat(String.join("\n", printed)).as("plans printed to the writer").contains("PLANNEDSTMT");
        assertThat(String.join(" ", printed).replaceAll("\\s+", " ")).doesNotContain(printedKey);
    }

    @Test
    void cancelStopsEventsAndRemovesTriggersNobodyNeeds() {
        PgFlash flash = startFlash();
        Recorder kept = new Recorder();
        Recorder cancelled = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), kept);
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("posts").build(), cancelled);
        assertThat(triggerCount("posts")).isEqualTo(4);

        db.execute("INSERT INTO posts VALUES (1, 'a', 0)");
        cancelled.awaitSingle();
        subscription.cancel();
        db.execute("INSERT INTO posts VALUES (2, 'b', 0)", "DELETE FROM posts");

        assertThat(kept.awaitEvents(2)).extracting(e -> e.newRow().get("id")).containsExactly(1, 2);
        assertThat(cancelled.events()).hasSize(1);
        assertThat(subscription.isActive()).isFalse();
        assertThat(triggerCount("posts")).isEqualTo(1);
        assertThat(flash.subscriptions()).hasSize(1);
    }

    @Test
    void closeDeliversWhatWasReadAndRemovesTriggers() throws Exception {
        PgFlash flash = startFlash();
        CountDownLatch release = new CountDownLatch(1);
        List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        flash.subscribe(SubscriptionSpec.table("posts").build(), event -> {
            release.await();
            seen.add(event.newRow().get("id"));
        });
        db.execute("INSERT INTO posts SELECT g, 't', 0 FROM generate_series(1, 100) g");
        await().until(() -> flash.state() == DriverState.STREAMING);

        Thread closer = new Thread(flash::close);
        closer.start();
        release.countDown();
        closer.join(Duration.ofSeconds(30).toMillis());

        assertThat(seen).hasSize(100);
        assertThat(triggerCount("posts")).isZero();
        assertThat(flash.state()).isEqualTo(DriverState.STOPPED);
    }

    @Test
    void twoClientsShareTriggersAndOneClosingKeepsTheOthersWorking() {
        PgFlash first = startFlash();
        PgFlash second = startFlash();
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        first.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), a);
        second.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), b);
        assertThat(triggerCount("posts")).isEqualTo(1);

        db.execute("INSERT INTO posts VALUES (1, 'a', 0)");
        a.awaitSingle();
        b.awaitSingle();
        first.close();
        db.execute("INSERT INTO posts VALUES (2, 'b', 0)");

        assertThat(b.awaitEvents(2)).hasSize(2);
        assertThat(triggerCount("posts")).isEqualTo(1);
    }

    @Test
    void objectsLeftByACrashedSessionAreReconciledOnTheNextStart() throws Exception {
        startFlash().close(); // schema exists
        TriggerSql sql = new TriggerSql("pgflash");
        long deadToken = 4242;
        try (Connection crashed = db.connect(); Statement statement = crashed.createStatement()) {
            // what a client leaves when its process dies: its registration and triggers, and no lock holder
            statement.execute("SELECT pg_advisory_lock(" + deadToken + ")");
            statement.execute("INSERT INTO pgflash.listeners (token, relid, operation)"
                    + " VALUES (" + deadToken + ", 'posts'::regclass, 'UPDATE')");
            statement.execute(sql.ddl().createTrigger("public.posts", Operation.UPDATE));
        }
        assertThat(triggerCount("posts")).isEqualTo(1);

        startFlash();

        assertThat(triggerCount("posts")).isZero();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM pgflash.listeners")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
        }
    }

    @Test
    void schemaIsDroppedOnCloseWhenAskedAndUnused() {
        PgFlash flash = startFlash(NotifyDriver.builder().schema("pgflash_temp").removeSchemaOnShutdown(true).build());
        flash.subscribe(SubscriptionSpec.table("posts").build(), event -> { });
        assertThat(triggerCount("posts")).isEqualTo(4);

        flash.close();

        assertThat(triggerCount("posts")).isZero();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT to_regnamespace('pgflash_temp') IS NULL")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void reconnectsAfterTheListeningBackendIsTerminatedAndReportsTheGap() throws Exception {
        PgFlash flash = startFlash(NotifyDriver.builder()
                .reconnectBackOff(BackOff.fixed(Duration.ofMillis(50))).build());
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before', 0)");
        recorder.awaitSingle();

        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE application_name = '" + NotifyDriver.LISTENER_APPLICATION_NAME + "'"
                + " AND datname = current_database()");

        await().until(() -> !recorder.gaps.isEmpty());
        db.execute("INSERT INTO posts VALUES (2, 'after', 0)");
        assertThat(recorder.awaitEvents(2).get(1).newRow().get("title")).isEqualTo("after");
        assertThat(flash.state()).isEqualTo(DriverState.STREAMING);
        assertThat(triggerCount("posts")).isEqualTo(4);
    }

    @Test
    void noticesASilentlyDeadConnectionAndReconnects() {
        try (TcpProxy proxy = TcpProxy.inFrontOf(db.jdbcUrl())) {
            PgFlash flash = PgFlash.builder()
                    .jdbcUrl(proxy.rewrite(db.jdbcUrl()), db.user(), db.password())
                    .driver(NotifyDriver.builder().connectionCheckInterval(Duration.ofSeconds(1))
                            .reconnectBackOff(BackOff.fixed(Duration.ofMillis(50))).build())
                    .build();
            try (flash) {
                flash.start();
                Recorder recorder = new Recorder();
                flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);
                db.execute("INSERT INTO posts VALUES (1, 'before', 0)");
                recorder.awaitSingle();

                proxy.freeze(); // no error, no FIN: the listening connection just goes quiet

                await().until(() -> !recorder.gaps.isEmpty());
                db.execute("INSERT INTO posts VALUES (2, 'after', 0)");
                assertThat(recorder.awaitEvents(2).get(1).newRow().get("title")).isEqualTo("after");
                // the stale session would otherwise hold back the NOTIFY queue until TCP gives up on it
                await().until(() -> listenerSessions() == 1);
            }
        }
    }

    @Test
    void afterAGapASubscriptionWithASnapshotReadsItsTableAgainWhenToldTo() {
        try (TcpProxy proxy = TcpProxy.inFrontOf(db.jdbcUrl())) {
            PgFlash flash = PgFlash.builder()
                    .jdbcUrl(proxy.rewrite(db.jdbcUrl()), db.user(), db.password())
                    .driver(NotifyDriver.builder().connectionCheckInterval(Duration.ofSeconds(1))
                            .reconnectBackOff(BackOff.fixed(Duration.ofMillis(50))).build())
                    .snapshotAfterGap(true)
                    .build();
            try (flash) {
                db.execute("INSERT INTO posts VALUES (1, 'one', 0), (2, 'two', 0), (3, 'three', 0)");
                Copy copy = new Copy();
                flash.subscribe(SubscriptionSpec.table("posts").snapshot(SnapshotMode.INITIAL).build(), copy);
                flash.start();
                await().until(() -> copy.completed.get() == 1);
                assertThat(copy.titles()).isEqualTo(Map.of(1, "one", 2, "two", 3, "three"));

                proxy.freeze(); // the listening connection goes quiet: what is written now is missed
                db.execute("DELETE FROM posts WHERE id = 2", "UPDATE posts SET title = 'missed' WHERE id = 3",
                        "INSERT INTO posts VALUES (4, 'four', 0)");

                await().until(() -> copy.completed.get() == 2);
                assertThat(copy.titles()).isEqualTo(Map.of(1, "one", 3, "missed", 4, "four"));
                assertThat(copy.gaps).isNotEmpty();
            }
        }
    }

    /** A copy of posts' titles that drops, at a snapshot's end, the keys the snapshot did not bring. */
    private static final class Copy implements io.pgflash.core.ChangeListener {
        private final Map<Integer, String> titles = new java.util.HashMap<>();
        private Set<Integer> seen;
        final AtomicInteger completed = new AtomicInteger();
        final List<io.pgflash.core.StreamGap> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public synchronized void onChange(ChangeEvent event) {
            int id = (Integer) event.key().get("id");
            if (event.operation() == Operation.DELETE) {
                titles.remove(id);
            } else {
                titles.put(id, (String) event.newRow().get("title"));
                if (seen != null) {
                    seen.add(id);
                }
            }
        }

        @Override
        public synchronized void onSnapshot(io.pgflash.core.SnapshotNotice notice) {
            if (notice.phase() == io.pgflash.core.SnapshotNotice.Phase.STARTED) {
                seen = new HashSet<>();
            } else {
                titles.keySet().retainAll(seen);
                seen = null;
                completed.incrementAndGet();
            }
        }

        @Override
        public void onGap(io.pgflash.core.StreamGap gap) {
            gaps.add(gap);
        }

        synchronized Map<Integer, String> titles() {
            return Map.copyOf(titles);
        }
    }

    private static long listenerSessions() throws java.sql.SQLException {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                        + NotifyDriver.LISTENER_APPLICATION_NAME + "' AND datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void tenThousandEventsFromFourConcurrentWritersArriveOnceInCommitOrder() throws Exception {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("CREATE SEQUENCE IF NOT EXISTS commit_order");
        int writers = 4;
        int perWriter = 2500;

        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            done.add(pool.submit(() -> {
                // the lock is held until commit, so commit_order numbers the transactions in commit order
                try (Connection connection = db.connect();
                        PreparedStatement insert = connection.prepareStatement("SELECT pg_advisory_xact_lock(42);"
                                + " INSERT INTO posts VALUES (?, 'w', nextval('commit_order'))")) {
                    connection.setAutoCommit(false);
                    for (int i = 0; i < perWriter; i++) {
                        insert.setInt(1, writer * perWriter + i);
                        insert.execute();
                        connection.commit();
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get();
        }
        pool.shutdown();

        List<ChangeEvent> events = recorder.awaitEvents(writers * perWriter);
        assertThat(events).hasSize(writers * perWriter);
        Set<Object> ids = events.stream().map(e -> e.newRow().get("id")).collect(Collectors.toSet());
        assertThat(ids).hasSize(writers * perWriter);
        // each writer's rows in its order, and all in commit order
        Map<Integer, List<Integer>> byWriter = events.stream().map(e -> (Integer) e.newRow().get("id"))
                .collect(Collectors.groupingBy(id -> id / perWriter));
        byWriter.values().forEach(list -> assertThat(list).isSorted());
        assertThat(events).extracting(e -> (Integer) e.newRow().get("views")).isSorted().doesNotHaveDuplicates();
        assertThat(events).extracting(ChangeEvent::position).isSorted();
        assertThat(new HashSet<>(events.stream().map(ChangeEvent::transactionId).toList())).hasSize(writers * perWriter);
    }
}
