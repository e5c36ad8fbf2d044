package io.pgflash.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.FlashTestBase;
import io.pgflash.core.Operation;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.Recorder;
import io.pgflash.core.SnapshotMode;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.StreamGap;
import io.pgflash.core.Subscription;
import io.pgflash.core.TableWriters;
import io.pgflash.core.TableName;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.internal.dispatch.DeliveryPool;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guarantees every driver keeps, tested once: each driver (and mode) has a subclass that supplies it, and a
 * driver that differs on purpose overrides the test to assert its documented difference.
 */
public abstract class DriverContract extends FlashTestBase {

    /** A new driver of the kind under test, in a consumer group (or schema) of its own per test. */
    protected abstract ChangeDriver newDriver();

    /** Rows of the table the snapshot tests mirror while {@link TableWriters} change it. */
    protected static final int MIRRORED_ROWS = 100_000;
    /** Their snapshots' chunk size: a hundred chunks, each a window the writers can hit. */
    private static final int MIRROR_CHUNK = 1000;
    /** How long a mirror may take to catch up: a snapshot of them takes 5 to 15 s here while the writers run. */
    private static final Duration MIRROR_WAIT = Duration.ofMinutes(2);

    /** Subscriptions of the fan-out test: one per connected client of a push application. */
    private static final int MANY_SUBSCRIPTIONS = 10_000;

    /** The name of the driver's reader thread. */
    protected abstract String readerThread(ChangeDriver driver);

    @BeforeEach
    void posts() {
        db.execute("DROP TABLE IF EXISTS posts CASCADE", "CREATE TABLE posts (id int PRIMARY KEY, title text)");
    }

    /** A started client of a new driver, with {@code subscriptions} made before it starts. */
    protected PgFlash started(Map<SubscriptionSpec, ChangeListener> subscriptions) {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(newDriver()).build();
        closeAfterTest(flash);
        subscriptions.forEach(flash::subscribe);
        flash.start();
        return flash;
    }

    protected PgFlash started(SubscriptionSpec spec, ChangeListener listener) {
        return started(Map.of(spec, listener));
    }

    @Test
    void eachOperationArrivesWithItsRowsKeyAndChangedColumns() {
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").build(), recorder);

        db.execute("INSERT INTO posts VALUES (1, 'first')", "UPDATE posts SET title = 'second' WHERE id = 1",
                "DELETE FROM posts WHERE id = 1", "TRUNCATE posts");

        List<ChangeEvent> events = recorder.awaitEvents(4);
        assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT, Operation.UPDATE,
                Operation.DELETE, Operation.TRUNCATE);
        assertThat(events).allSatisfy(event -> assertThat(event.table()).isEqualTo(TableName.of("public", "posts")));
        ChangeEvent insert = events.get(0);
        assertThat(insert.newRow().asMap()).containsExactly(Map.entry("id", 1), Map.entry("title", "first"));
        assertThat(insert.oldRow()).isNull();
        ChangeEvent update = events.get(1);
        assertThat(update.newRow().asMap()).containsEntry("title", "second");
        assertThat(update.oldRow().asMap()).containsEntry("title", "first");
        assertThat(update.changedColumns()).containsExactly("title");
        assertThat(update.key().asMap()).containsExactly(Map.entry("id", 1));
        ChangeEvent delete = events.get(2);
        assertThat(delete.newRow()).isNull();
        assertThat(delete.oldRow().asMap()).containsExactly(Map.entry("id", 1), Map.entry("title", "second"));
        assertThat(events.get(3).newRow()).isNull();
        assertThat(events.get(3).oldRow()).isNull();
        assertThat(events).extracting(ChangeEvent::position).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void rowsEnteringAndLeavingAFilterArriveAsInsertAndDelete() {
        Recorder inserts = new Recorder();
        Recorder all = new Recorder();
        started(Map.of(SubscriptionSpec.table("posts").operations(Operation.INSERT).filter("title=eq.open").build(),
                inserts, SubscriptionSpec.table("posts").filter("title=eq.open").build(), all));

        db.execute("INSERT INTO posts VALUES (1, 'draft')", "UPDATE posts SET title = 'open' WHERE id = 1",
                "UPDATE posts SET title = 'closed' WHERE id = 1", "DELETE FROM posts WHERE id = 1",
                "INSERT INTO posts VALUES (2, 'open')");

        List<ChangeEvent> events = all.awaitEvents(3);
        assertThat(events).extracting(ChangeEvent::operation, ChangeEvent::sourceOperation).containsExactly(
                tuple(Operation.INSERT, Operation.UPDATE), tuple(Operation.DELETE, Operation.UPDATE),
                tuple(Operation.INSERT, Operation.INSERT));
        assertThat(events.get(1).oldRow().get("title")).isEqualTo("open"); // the row as it matched
        assertThat(inserts.awaitEvents(2)).extracting(event -> event.newRow().get("id")).containsExactly(1, 2);
    }

    /**
     * A filter's value takes its column's type when it subscribes; a migration that retypes the column meanwhile
     * (int to bigint) must not make it stop matching: values compare by value, as in SQL.
     */
    @Test
    void filtersOnAColumnRetypedWhileStreamingGoOnMatchingByValue() {
        db.execute("DROP TABLE IF EXISTS scores", "CREATE TABLE scores (id int PRIMARY KEY, n int)");
        Recorder equal = new Recorder();
        Recorder among = new Recorder();
        Recorder atLeast = new Recorder();
        started(Map.of(SubscriptionSpec.table("scores").filter("n=eq.20").build(), equal,
                SubscriptionSpec.table("scores").filter("n=in.(20,30)").build(), among,
                SubscriptionSpec.table("scores").filter("n=gte.10").build(), atLeast));
        db.execute("INSERT INTO scores VALUES (1, 20)");
        equal.awaitSingle();

        db.execute("ALTER TABLE scores ALTER COLUMN n TYPE bigint", "INSERT INTO scores VALUES (2, 20)",
                "UPDATE scores SET n = 5 WHERE id = 1");

        for (Recorder recorder : List.of(equal, among, atLeast)) {
            assertThat(recorder.awaitEvents(3)).extracting(ChangeEvent::operation, event -> event.key().get("id"))
                    .containsExactly(tuple(Operation.INSERT, 1), tuple(Operation.INSERT, 2),
                            tuple(Operation.DELETE, 1));
        }
    }

    /** A table renamed while subscribed (a migration) goes on arriving, under the name it was subscribed by. */
    @Test
    void aTableRenamedWhileStreamingGoesOnArrivingUnderItsSubscribedName() {
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();
        try {
            db.execute("ALTER TABLE posts RENAME TO articles", "INSERT INTO articles VALUES (2, 'after')");

            ChangeEvent after = recorder.awaitEvents(2).get(1);
            assertThat(after.table().name()).isEqualTo("posts");
            assertThat(after.newRow().get("title")).isEqualTo("after");
        } finally {
            db.execute("DROP TABLE IF EXISTS articles");
        }
    }

    @Test
    void anUpdateMovingARowFromOneSubscribersFilterToAnothersIsADeleteForOneAndAnInsertForTheOther() {
        db.execute("ALTER TABLE posts ADD COLUMN author_id int");
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        started(Map.of(SubscriptionSpec.table("posts").filter("author_id=eq.1").build(), first,
                SubscriptionSpec.table("posts").filter("author_id=in.(2,3)").build(), second));

        db.execute("INSERT INTO posts VALUES (1, 'a', 1)", "UPDATE posts SET author_id = 2 WHERE id = 1",
                "UPDATE posts SET author_id = 3 WHERE id = 1", "UPDATE posts SET author_id = 1 WHERE id = 1");

        assertThat(first.awaitEvents(3)).extracting(ChangeEvent::operation, ChangeEvent::sourceOperation)
                .containsExactly(tuple(Operation.INSERT, Operation.INSERT), tuple(Operation.DELETE, Operation.UPDATE),
                        tuple(Operation.INSERT, Operation.UPDATE));
        assertThat(second.awaitEvents(3)).extracting(ChangeEvent::operation, ChangeEvent::sourceOperation)
                .containsExactly(tuple(Operation.INSERT, Operation.UPDATE), tuple(Operation.UPDATE, Operation.UPDATE),
                        tuple(Operation.DELETE, Operation.UPDATE));
    }

    @Test
    void manySubscriptionsWithDistinctFiltersEachReceiveExactlyTheirRowsAndCostTheDatabaseNothingToAdd()
            throws Exception {
        int clients = MANY_SUBSCRIPTIONS;
        db.execute("ALTER TABLE posts ADD COLUMN author_id int");
        AtomicInteger opened = new AtomicInteger();
        ConnectionFactory direct = ConnectionFactory.of(db.jdbcUrl(), db.user(), db.password());
        PgFlash flash = PgFlash.builder().connections(new ConnectionFactory() {
            @Override
            public Connection open() throws SQLException {
                opened.incrementAndGet();
                return direct.open();
            }

            @Override
            public Connection openReplication() throws SQLException {
                return direct.openReplication();
            }
        }).driver(newDriver()).build();
        closeAfterTest(flash);
        Recorder odd = new Recorder(); // a filter that cannot be looked up by value sees every row it matches
        flash.subscribe(SubscriptionSpec.table("posts").filter("author_id=gt." + (clients - 3)).build(), odd);
        flash.start();
        int openedBeforeClients = opened.get();
        long threadsBeforeClients = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();

        Map<Integer, Recorder> received = new java.util.HashMap<>();
        for (int author = 1; author <= clients; author++) {
            Recorder recorder = new Recorder();
            received.put(author, recorder);
            flash.subscribe(SubscriptionSpec.table("posts").filter("author_id=eq." + author).build(), recorder);
        }
        assertThat(opened.get() - openedBeforeClients).as("connections opened to add %d subscriptions", clients)
                .isZero();

        db.execute("INSERT INTO posts SELECT g, 'post ' || g, g FROM generate_series(1, " + clients + ") g",
                "UPDATE posts SET title = 'edited' WHERE id = 7");

        assertThat(odd.awaitEvents(3)).extracting(e -> e.newRow().get("id")).containsExactly(clients - 2,
                clients - 1, clients);
        await().atMost(Duration.ofSeconds(60)).until(() -> received.values().stream().mapToInt(Recorder::count)
                .sum() >= clients + 1);
        received.forEach((author, recorder) -> assertThat(recorder.events())
                .extracting(e -> e.newRow().get("author_id")).as("author %d", author)
                .containsOnly(author).hasSize(author == 7 ? 2 : 1));
        assertThat(ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - threadsBeforeClients)
                .as("threads started to deliver to %d subscriptions", clients)
                .isLessThanOrEqualTo(DeliveryPool.DEFAULT_THREADS + 8); // Awaitility polls on threads of its own
    }

    @Test
    void aStalledSubscriberThatIsCutOffHoldsNobodyUpAndIsToldWhy() throws Exception {
        int rows = 3 * OverflowPolicy.BLOCK_BUFFER; // more than a blocking subscriber would let the reading pass
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger stalledGot = new AtomicInteger();
        List<StreamGap> stalledGaps = new CopyOnWriteArrayList<>();
        ChangeListener stalled = new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) throws Exception {
                stalledGot.incrementAndGet();
                release.await();
            }

            @Override
            public void onGap(StreamGap gap) {
                stalledGaps.add(gap);
            }
        };
        Recorder other = new Recorder();
        PgFlash flash = started(Map.of(SubscriptionSpec.table("posts").id("stalled")
                .overflow(OverflowPolicy.cutOff(10)).build(), stalled, SubscriptionSpec.table("posts").build(), other));

        db.execute("INSERT INTO posts SELECT g, 't' FROM generate_series(1, " + rows + ") g");

        assertThat(other.awaitEvents(rows)).hasSize(rows); // while the stalled listener still holds its first event
        assertThat(flash.subscriptions()).extracting(Subscription::id).doesNotContain("stalled");
        release.countDown();
        await().until(() -> !stalledGaps.isEmpty());
        assertThat(stalledGaps).singleElement().satisfies(gap -> assertThat(gap.reason()).contains("cut off"));
        db.execute("INSERT INTO posts VALUES (0, 'after')");
        other.awaitEvents(rows + 1);
        assertThat(stalledGot.get()).as("events that reached the stalled listener (none, if it was cut off before its"
                + " lane first ran)").isLessThanOrEqualTo(1);
    }

    @Test
    void aClientThatComesBackResumesAfterTheLastEventItSawWithEveryLaterEventOnceThroughItsFilter() {
        db.execute("ALTER TABLE posts ADD COLUMN author_id int");
        Recorder everything = new Recorder(); // keeps the table captured while the client is away
        PgFlash flash = started(SubscriptionSpec.table("posts").build(), everything);
        Recorder before = new Recorder();
        Subscription page = flash.subscribe(SubscriptionSpec.table("posts").filter("author_id=eq.1").resumable()
                .build(), before);
        db.execute("INSERT INTO posts VALUES (1, 'a', 1), (2, 'b', 2)");
        String lastSeen = flash.eventId(before.awaitSingle());
        page.cancel();

        db.execute("INSERT INTO posts VALUES (3, 'c', 1), (4, 'd', 2)", "UPDATE posts SET author_id = 1 WHERE id = 4",
                "UPDATE posts SET author_id = 2 WHERE id = 3");
        everything.awaitEvents(6);
        Recorder after = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").filter("author_id=eq.1").resumeAfter(lastSeen).build(), after);
        db.execute("INSERT INTO posts VALUES (5, 'e', 1), (6, 'f', 2)");

        assertThat(after.awaitEvents(4)).extracting(ChangeEvent::operation, event -> event.row().get("id"))
                .containsExactly(tuple(Operation.INSERT, 3), tuple(Operation.INSERT, 4), tuple(Operation.DELETE, 3),
                        tuple(Operation.INSERT, 5));
        everything.awaitEvents(8);
        db.execute("INSERT INTO posts VALUES (7, 'g', 1)");
        assertThat(after.awaitEvents(5)).hasSize(5).extracting(event -> event.row().get("id")).last().isEqualTo(7);
        assertThat(after.gaps).isEmpty();

        Recorder stranger = new Recorder(); // an id of another run of the stream, or of another client
        flash.subscribe(SubscriptionSpec.table("posts").resumeAfter("elsewhere:" + lastSeen.split(":", 2)[1])
                .build(), stranger);
        db.execute("INSERT INTO posts VALUES (8, 'h', 1)");
        stranger.awaitSingle();
        assertThat(stranger.gaps).singleElement().satisfies(gap -> assertThat(gap.reason())
                .contains("cannot resume after event elsewhere:").contains("not an event id of this run"));
    }

    @Test
    void partialFieldsDeliverOnlyUpdatesOfTheirColumnsWithOnlyThoseColumns() {
        db.execute("ALTER TABLE posts ADD COLUMN likes int");
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").operations(Operation.UPDATE).columns("title").build(), recorder);

        db.execute("INSERT INTO posts VALUES (1, 'a', 0)", "UPDATE posts SET likes = 1 WHERE id = 1",
                "UPDATE posts SET title = 'b' WHERE id = 1");

        ChangeEvent update = recorder.awaitSingle();
        assertThat(update.newRow().asMap()).containsOnlyKeys("id", "title").containsEntry("title", "b");
        assertThat(update.oldRow().get("title")).isEqualTo("a");
    }

    @Test
    void aKeyChangeSplitsIntoADeleteOfTheOldKeyAndAnInsertOfTheNew() {
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").splitKeyChanges(true).build(), recorder);

        db.execute("INSERT INTO posts VALUES (1, 'moved')", "UPDATE posts SET id = 2 WHERE id = 1");

        List<ChangeEvent> events = recorder.awaitEvents(3);
        assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT, Operation.DELETE,
                Operation.INSERT);
        assertThat(events.get(1).key().get("id")).isEqualTo(1);
        assertThat(events.get(2).key().get("id")).isEqualTo(2);
        assertThat(events.get(1).position()).isEqualTo(events.get(2).position()); // one database change
    }

    @Test
    void valuesArriveAsTheirJavaTypes() {
        db.execute("DROP TABLE IF EXISTS typed", "CREATE TABLE typed (id int PRIMARY KEY, big bigint, amount numeric,"
                + " flag boolean, at timestamptz, doc jsonb, tags text[], nothing text)");
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("typed").build(), recorder);

        db.execute("INSERT INTO typed VALUES (1, 9000000000, 12.50, true, '2026-01-02 03:04:05+00', '{\"a\": 1}',"
                + " '{x,y}', NULL)");

        Map<String, Object> row = recorder.awaitSingle().newRow().asMap();
        assertThat(row.get("id")).isEqualTo(1);
        assertThat(row.get("big")).isEqualTo(9_000_000_000L);
        assertThat(row.get("amount")).isEqualTo(new BigDecimal("12.50"));
        assertThat(row.get("flag")).isEqualTo(true);
        assertThat(row.get("at")).isEqualTo(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
        assertThat(row.get("doc")).isEqualTo("{\"a\": 1}");
        assertThat(row.get("tags")).isEqualTo(List.of("x", "y"));
        assertThat(row).containsEntry("nothing", null);
    }

    /**
     * Whatever output settings the database gives new sessions: the snapshot reads the rows' texts in the settings the
     * decoder reads, as the changes were.
     */
    @Test
    void aSnapshotReadsEachRowAsTheChangeThatWroteItCarriedIt() throws Exception {
        db.execute("DROP TABLE IF EXISTS typed", "CREATE TABLE typed (id int PRIMARY KEY, big bigint, amount numeric,"
                + " ratio double precision, flag boolean, at timestamptz, local timestamp, day date, span interval,"
                + " doc jsonb, tags text[], counts int[], data bytea, uid uuid, note text)");
        Recorder recorder = new Recorder();
        PgFlash flash = started(SubscriptionSpec.table("typed").build(), recorder);
        db.execute("INSERT INTO typed VALUES (1, 9000000000, 12.50, 0.1, true, '2026-01-02 03:04:05.123456+02',"
                        + " '2026-01-02 03:04:05', '2026-01-02', '1 year 2 mons 3 days 04:05:06.7',"
                        + " '{\"a\": [1, \"x\"]}', '{x,\"y z\",NULL}', '{1,2}', '\\x00ff',"
                        + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
                        + " E'tab\\there, line\\nbreak, back\\\\slash, \"quoted\", ''single'', é ✓')",
                "INSERT INTO typed (id) VALUES (2)");
        List<ChangeEvent> inserts = recorder.awaitEvents(2);

        String defaults = "ALTER DATABASE " + db.name() + " SET ";
        db.execute(defaults + "intervalstyle = 'sql_standard'", defaults + "bytea_output = 'escape'",
                defaults + "datestyle = 'SQL, DMY'");
        try {
            flash.snapshot(flash.subscriptions().get(0)).get(1, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
            db.execute("ALTER DATABASE " + db.name() + " RESET ALL");
        }

        List<ChangeEvent> reads = recorder.awaitEvents(4).subList(2, 4);
        assertThat(reads).extracting(ChangeEvent::operation).containsOnly(Operation.READ);
        assertThat(reads.get(0).newRow()).isEqualTo(inserts.get(0).newRow());
        assertThat(reads.get(1).newRow()).isEqualTo(inserts.get(1).newRow());
    }

    @Test
    void eventsOfOneKeyStayInOrderAcrossConcurrentLanes() {
        List<Object> seen = new CopyOnWriteArrayList<>();
        started(SubscriptionSpec.table("posts").operations(Operation.UPDATE).concurrency(4).build(),
                event -> seen.add(event.newRow().get("id") + ":" + event.newRow().get("title")));
        db.execute("INSERT INTO posts SELECT g, '0' FROM generate_series(1, 5) g");

        for (int round = 1; round <= 20; round++) {
            db.execute("UPDATE posts SET title = '" + round + "'");
        }

        await().until(() -> seen.size() == 100);
        for (int id = 1; id <= 5; id++) {
            String prefix = id + ":";
            assertThat(seen.stream().map(String::valueOf).filter(each -> each.startsWith(prefix))
                    .map(each -> Integer.parseInt(each.substring(prefix.length()))).toList()).as("key %d", id)
                    .isSorted().hasSize(20);
        }
    }

    /** What a driver keeps across a stop: the WAL slot and the durable cursor keep everything. */
    @Test
    protected void changesWrittenWhileStoppedArriveAfterTheNextStart() {
        Recorder recorder = new Recorder();
        PgFlash flash = started(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();

        flash.stop();
        db.execute("INSERT INTO posts VALUES (2, 'while stopped')");
        flash.start();
        db.execute("INSERT INTO posts VALUES (3, 'after')");

        assertThat(recorder.awaitEvents(3)).extracting(event -> event.newRow().get("id")).containsExactly(1, 2, 3);
    }

    /**
     * A reading session the server ends is replaced; the WAL driver and the durable mode lose nothing meanwhile. A row
     * whose confirmation had not reached the server comes again, with the same position (at-least-once).
     */
    @Test
    protected void aReadingSessionTheServerEndsIsReplacedWithoutLosingCommittedRows() {
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();

        endReadingSessions();
        db.execute("INSERT INTO posts VALUES (2, 'meanwhile')");

        await().untilAsserted(() -> assertThat(recorder.events()).extracting(event -> event.newRow().get("id"))
                .contains(1, 2));
        assertThat(recorder.events().stream().collect(Collectors.groupingBy(event -> event.newRow().get("id"),
                Collectors.mapping(ChangeEvent::position, Collectors.toSet())))).allSatisfy((id, positions) ->
                        assertThat(positions).as("positions of row %s", id).hasSize(1));
    }

    /** Ends every server session of pgflash's in this database but the test's own, as an administrator would. */
    protected static void endReadingSessions() {
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name LIKE 'pgflash%' AND pid <> pg_backend_pid()");
    }

    @Test
    void stoppingWhileTheReaderWaitsForRoomDoesNotWaitForStuckListeners() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ChangeDriver driver = newDriver();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver)
                .shutdownTimeout(Duration.ofMillis(500)).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").build(), event -> release.await());
        flash.start();
        try {
            db.execute("INSERT INTO posts SELECT g, 'row' FROM generate_series(1, 2000) g"); // more than a queue holds
            await().until(() -> waitsForRoom(readerThread(driver)));

            // before, stop waited for the reader: 10 s (WAL), four poll intervals and more (durable, notify)
            assertThat(CompletableFuture.runAsync(flash::stop)).succeedsWithin(Duration.ofSeconds(5));
        } finally {
            release.countDown();
        }
    }

    /**
     * A writer's session can neither redirect the capture (every name it uses is pinned, so functions and operators
     * that shadow pg_catalog's are not called) nor see its own settings changed by it, and its odd output settings
     * do not change the values that arrive; a row larger than a NOTIFY payload included.
     */
    @Test
    void aWritersSessionNeitherRedirectsTheCaptureNorHasItsSettingsChanged() throws Exception {
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").build(), recorder);
        db.execute(SHADOWS);
        String large = "x".repeat(10_000);
        Map<String, String> odd = Map.of("search_path", "shadow, pg_catalog, public", "IntervalStyle", "iso_8601",
                "bytea_output", "escape", "extra_float_digits", "-2", "TimeZone", "Asia/Kathmandu");
        try (Connection writer = db.connect(); Statement statement = writer.createStatement()) {
            writer.setAutoCommit(false);
            for (Map.Entry<String, String> setting : odd.entrySet()) {
                statement.execute("SELECT set_config('" + setting.getKey() + "', '" + setting.getValue() + "', true)");
            }
            statement.execute("INSERT INTO public.posts VALUES (1, '" + large + "'), (2, 'small')");
            statement.execute("UPDATE public.posts SET title = 'changed' WHERE id = 2");
            statement.execute("DELETE FROM public.posts WHERE id = 2");
            statement.execute("TRUNCATE public.posts");
            for (Map.Entry<String, String> setting : odd.entrySet()) {
                try (ResultSet rs = statement.executeQuery("SHOW " + setting.getKey())) {
                    rs.next();
                    assertThat(rs.getString(1)).as(setting.getKey()).isEqualTo(setting.getValue());
                }
            }
            writer.commit();
        } finally {
            db.execute("DROP SCHEMA shadow CASCADE");
        }

        List<ChangeEvent> events = recorder.awaitEvents(5);
        assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT, Operation.INSERT,
                Operation.UPDATE, Operation.DELETE, Operation.TRUNCATE);
        assertThat(events.get(0).newRow().get("title")).isEqualTo(large);
        assertThat(events.get(2).newRow().get("title")).isEqualTo("changed");
    }

    /** Functions and operators named like the pg_catalog ones a capture might use, each failing if called. */
    private static final String[] SHADOWS = shadows();

    private static String[] shadows() {
        List<String> sql = new java.util.ArrayList<>(List.of("DROP SCHEMA IF EXISTS shadow CASCADE",
                "CREATE SCHEMA shadow",
                "CREATE FUNCTION shadow.fail() RETURNS int LANGUAGE plpgsql AS"
                        + " $$ BEGIN RAISE EXCEPTION 'a shadowing function was called'; END $$"));
        String[][] functions = {
            {"left(text, int)", "text"}, {"length(text)", "int"}, {"octet_length(text)", "int"},
            {"encode(bytea, text)", "text"}, {"sha256(bytea)", "bytea"},
            {"convert_to(text, name)", "bytea"}, {"pg_notify(text, text)", "void"}, {"nextval(regclass)", "bigint"},
            {"current_setting(text)", "text"}, {"date_part(text, timestamptz)", "float8"}, {"int8(float8)", "bigint"},
            {"pg_current_xact_id()", "xid8"}, {"statement_timestamp()", "timestamptz"},
            {"pg_try_advisory_xact_lock_shared(bigint)", "boolean"}, {"txid_current()", "bigint"},
        };
        for (String[] function : functions) {
            sql.add("CREATE FUNCTION shadow." + function[0] + " RETURNS " + function[1]
                    + " LANGUAGE sql AS 'SELECT shadow.fail()::text::" + function[1] + "'");
        }
        String[][] operators = {{"||", "text", "text"}, {"||", "anynonarray", "text"}, {"=", "text", "text"},
            {"<>", "text", "text"}, {">", "int", "int"}, {"+", "int", "int"},
            {"*", "float8", "float8"}};
        int n = 0;
        for (String[] operator : operators) {
            String function = "shadow.op" + (++n);
            sql.add("CREATE FUNCTION " + function + "(" + operator[1] + ", " + operator[2]
                    + ") RETURNS boolean LANGUAGE sql AS 'SELECT shadow.fail() > 0'");
            sql.add("CREATE OPERATOR shadow." + operator[0] + " (LEFTARG = " + operator[1] + ", RIGHTARG = "
                    + operator[2] + ", FUNCTION = " + function + ")");
        }
        return sql.toArray(String[]::new);
    }

    @Test
    void anInitialSnapshotAndTheChangesAfterItLeaveTheListenerWithTheTablesStateNeverGoingBack() throws Exception {
        db.execute("ALTER TABLE posts ADD COLUMN version int NOT NULL DEFAULT 0",
                "INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, " + MIRRORED_ROWS + ") g");
        Mirror mirror = new Mirror();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(newDriver())
                .snapshotChunkSize(MIRROR_CHUNK).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").splitKeyChanges(true).snapshot(SnapshotMode.INITIAL).build(),
                mirror);

        TableWriters writer = new TableWriters(db, "posts", MIRRORED_ROWS + 1);
        try (writer) {
            flash.start();
            // written throughout
            await().atMost(MIRROR_WAIT).until(() -> mirror.completed.get() && writer.statements() > 200);
        }
        db.execute("INSERT INTO posts VALUES (0, 'last', 0)");
        await().atMost(MIRROR_WAIT).until(() -> mirror.rows().containsKey(0));

        assertThat(mirror.rows()).isEqualTo(tableRows());
        assertThat(mirror.wentBack).as("older states after newer ones").isEmpty();
        assertThat(mirror.notices).containsExactly("STARTED at 0 rows", "COMPLETED at " + mirror.reads.get() + " rows");
        assertThat(mirror.reads.get()).as("rows read that no change touched meanwhile").isPositive();
    }

    @Test
    void aSnapshotTakenOnDemandWhileWritersRunLeavesAFilteredListenerWithTheFilteredTable() throws Exception {
        db.execute("ALTER TABLE posts ADD COLUMN version int NOT NULL DEFAULT 0",
                "INSERT INTO posts SELECT g, 'post ' || g, g % 3 FROM generate_series(1, " + MIRRORED_ROWS + ") g");
        Mirror mirror = new Mirror();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(newDriver())
                .snapshotChunkSize(MIRROR_CHUNK).build();
        closeAfterTest(flash);
        // rows leave the filter as their version passes 1, new ones enter with 0
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("posts").filter("version=lt.2")
                .splitKeyChanges(true).build(), mirror);
        flash.start();

        TableWriters writer = new TableWriters(db, "posts", MIRRORED_ROWS + 1);
        long read;
        try (writer) {
            await().until(() -> writer.statements() > 100);
            read = flash.snapshot(subscription).get(1, java.util.concurrent.TimeUnit.MINUTES);
            int after = writer.statements();
            await().until(() -> writer.statements() > after + 100);
        }
        db.execute("INSERT INTO posts VALUES (0, 'last', 0)");
        await().atMost(MIRROR_WAIT).until(() -> mirror.rows().containsKey(0));

        assertThat(mirror.rows()).isEqualTo(tableRows("WHERE version < 2"));
        assertThat(mirror.wentBack).as("older states after newer ones").isEmpty();
        assertThat(mirror.notices).containsExactly("STARTED at 0 rows", "COMPLETED at " + read + " rows");
        assertThat(read).isEqualTo(mirror.reads.get()).isPositive();
        assertThat(flash.snapshots()).singleElement().satisfies(progress -> {
            assertThat(progress.running()).isFalse();
            assertThat(progress.failure()).isNull();
            assertThat(progress.rowsDelivered()).isEqualTo(read);
            assertThat(progress.rowsRead()).isGreaterThanOrEqualTo(read);
            assertThat(progress.percent()).isEqualTo(100);
        });
    }

    @Test
    void aSnapshotWithPartialFieldsKeepsTheRowsWhoseWatchedColumnsNoChangeTouched() throws Exception {
        db.execute("ALTER TABLE posts ADD COLUMN version int NOT NULL DEFAULT 0",
                "INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 2000) g");
        Map<Integer, String> titles = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean completed = new java.util.concurrent.atomic.AtomicBoolean();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(newDriver())
                .snapshotChunkSize(100).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").columns("title").snapshot(SnapshotMode.INITIAL).build(),
                new ChangeListener() {
                    @Override
                    public void onChange(ChangeEvent event) {
                        titles.put((Integer) event.key().get("id"), (String) event.newRow().get("title"));
                    }

                    @Override
                    public void onSnapshot(SnapshotNotice notice) {
                        completed.set(notice.phase() == SnapshotNotice.Phase.COMPLETED);
                    }
                });

        AtomicInteger updates = new AtomicInteger();
        Thread writer = new Thread(() -> {
            java.util.Random random = new java.util.Random(5);
            try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
                while (!completed.get()) { // changes of a column the subscription does not watch, through it all
                    statement.execute("UPDATE posts SET version = version + 1 WHERE id = " + (1 + random.nextInt(2000)));
                    updates.incrementAndGet();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        flash.start();
        await().until(completed::get);
        writer.join();
        db.execute("UPDATE posts SET title = 'last' WHERE id = 1");
        await().until(() -> "last".equals(titles.get(1)));

        assertThat(updates.get()).isPositive();
        assertThat(titles).hasSize(2000);
        assertThat(titles).isEqualTo(tableRows().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                entry -> entry.getValue().substring(0, entry.getValue().lastIndexOf('/')))));
    }

    /**
     * An initial snapshot a stop interrupted: a driver that keeps nothing across restarts (notify) reads the whole
     * table again at the next start. Drivers that keep their group's place override this with their difference.
     */
    @Test
    protected void whatTheStartsAfterAnInitialSnapshotInterruptedByAStopRead() throws Exception {
        InterruptedSnapshot interrupted = interruptInitialSnapshot();
        interrupted.flash().start();
        Gate gate = interrupted.gate();
        await().until(() -> gate.notices.contains("COMPLETED at " + INTERRUPTED_ROWS + " rows"));
        assertThat(gate.notices).containsExactly("STARTED at 0 rows", "COMPLETED at " + INTERRUPTED_ROWS + " rows");
        assertThat(gate.reads.get()).isEqualTo(INTERRUPTED_ROWS);
    }

    /** Rows of the table whose initial snapshot {@link #interruptInitialSnapshot()} stops in the middle. */
    protected static final int INTERRUPTED_ROWS = 5000;
    /** The READ at which its listener waits while the client stops: the last of the tenth chunk of 100. */
    protected static final int INTERRUPTED_AT = 1000;

    protected record InterruptedSnapshot(PgFlash flash, Gate gate) {
    }

    /**
     * Starts a client whose subscription "copy" of posts takes an initial snapshot in chunks of 100 rows, and stops it
     * while its listener holds the {@value #INTERRUPTED_AT}th row: the nine chunks before were handled. The gate's
     * counts are cleared for the next start.
     */
    protected InterruptedSnapshot interruptInitialSnapshot() throws Exception {
        db.execute("INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, " + INTERRUPTED_ROWS + ") g");
        Gate gate = new Gate(INTERRUPTED_AT);
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(newDriver())
                .snapshotChunkSize(100).build();
        closeAfterTest(flash);
        flash.subscribe(SubscriptionSpec.table("posts").id("copy").snapshot(SnapshotMode.INITIAL).build(), gate);
        flash.start();
        assertThat(gate.holding.await(1, java.util.concurrent.TimeUnit.MINUTES)).as("the held row reached").isTrue();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(flash::stop);
        await().until(() -> flash.snapshots().stream().noneMatch(progress -> progress.running()));
        gate.release.countDown();
        stopped.get(1, java.util.concurrent.TimeUnit.MINUTES);
        assertThat(gate.notices).first().isEqualTo("STARTED at 0 rows");
        gate.notices.clear();
        gate.reads.set(0);
        return new InterruptedSnapshot(flash, gate);
    }

    /** Counts READ events and notes notices; holds the {@code holdAt}th READ until released. */
    protected static final class Gate implements ChangeListener {
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger reads = new AtomicInteger();
        final List<String> notices = new CopyOnWriteArrayList<>();
        final List<ChangeEvent> changes = new CopyOnWriteArrayList<>();
        /** The READ to hold (0: none); set before the snapshot reaches it. */
        volatile int holdAt;
        private int seen;

        Gate(int holdAt) {
            this.holdAt = holdAt;
        }

        @Override
        public void onChange(ChangeEvent event) throws InterruptedException {
            if (event.operation() != Operation.READ) {
                changes.add(event);
                return;
            }
            reads.incrementAndGet();
            if (++seen == holdAt) {
                holding.countDown();
                release.await();
            }
        }

        @Override
        public void onSnapshot(SnapshotNotice notice) {
            notices.add(notice.phase() + " at " + notice.rows() + " rows");
        }
    }

    @Test
    void aSnapshotAtEveryStartReadsTheWholeTableAgainAfterAStop() {
        db.execute("INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 300) g");
        Gate gate = new Gate(0);
        PgFlash flash = started(SubscriptionSpec.table("posts").snapshot(SnapshotMode.EVERY_START).build(), gate);
        await().until(() -> gate.notices.contains("COMPLETED at 300 rows"));
        flash.stop();
        flash.start();
        await().until(() -> gate.notices.size() == 4);
        assertThat(gate.notices).containsExactly("STARTED at 0 rows", "COMPLETED at 300 rows", "STARTED at 0 rows",
                "COMPLETED at 300 rows");
        assertThat(gate.reads.get()).isEqualTo(600);
    }

    /** Every row of posts: id to "title/version". */
    private Map<Integer, String> tableRows() throws SQLException {
        return tableRows("");
    }

    private Map<Integer, String> tableRows(String where) throws SQLException {
        Map<Integer, String> rows = new java.util.HashMap<>();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT id, title, version FROM posts " + where)) {
            while (rs.next()) {
                rows.put(rs.getInt(1), rs.getString(2) + "/" + rs.getInt(3));
            }
        }
        return rows;
    }

    /**
     * Keeps a copy of posts from its snapshot rows and changes, noting any state older than one it had (a lower
     * version, or a row back after its delete: ids are never reused here).
     */
    private static final class Mirror implements ChangeListener {
        private final Map<Integer, String> rows = new java.util.HashMap<>();
        private final Map<Integer, Integer> versions = new java.util.HashMap<>();
        private final java.util.Set<Integer> deleted = new java.util.HashSet<>();
        final List<String> wentBack = new CopyOnWriteArrayList<>();
        final List<String> notices = new CopyOnWriteArrayList<>();
        final AtomicInteger reads = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicBoolean completed = new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public synchronized void onChange(ChangeEvent event) {
            int id = (Integer) event.key().get("id");
            if (event.operation() == Operation.DELETE) {
                rows.remove(id);
                deleted.add(id);
                return;
            }
            if (event.operation() == Operation.READ) {
                reads.incrementAndGet();
            }
            int version = (Integer) event.newRow().get("version");
            Integer before = versions.put(id, version);
            if (deleted.contains(id) || (before != null && version < before)) {
                wentBack.add(event.operation() + " of " + id + " at version " + version + " after " + before
                        + (deleted.contains(id) ? " and its delete" : ""));
            }
            rows.put(id, event.newRow().get("title") + "/" + version);
        }

        @Override
        public void onSnapshot(SnapshotNotice notice) {
            notices.add(notice.phase() + " at " + notice.rows() + " rows");
            completed.set(notice.phase() == SnapshotNotice.Phase.COMPLETED);
        }

        synchronized Map<Integer, String> rows() {
            return Map.copyOf(rows);
        }
    }
}
