package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two instances of one consumer group: one reads, the other stands by; when the reading one goes (closed, or its
 * session ended by the server), the other takes over within seconds from the group's confirmed position, and every
 * committed row arrives at least once between them.
 */
class StandbyTest extends FlashTestBase {

    private static final Duration FAILOVER = Duration.ofSeconds(10);
    private static int groups;

    @BeforeEach
    void table() {
        db.execute("DROP TABLE IF EXISTS posts CASCADE", "CREATE TABLE posts (id int PRIMARY KEY, title text)");
    }

    @Test
    void durableGroupFailsOverWhenTheActiveInstanceCloses() {
        String group = "standby_" + (++groups);
        failsOverWhenTheActiveCloses(() -> DurableDriver.builder().group(group)
                .standbyInterval(Duration.ofMillis(200)).build());
    }

    @Test
    void walGroupFailsOverWhenTheActiveInstanceCloses() {
        String slot = db.name() + "_standby_" + (++groups);
        failsOverWhenTheActiveCloses(walGroup(slot)).close();
        dropWhenReleased(slot);
    }

    @Test
    void aStandbyClosingLeavesTheSlotToTheReader() {
        String slot = db.name() + "_standby_" + (++groups);
        Recorder first = new Recorder();
        PgFlash active = start(WalDriver.builder().slotName(slot).publicationName(slot).dropSlotOnShutdown(true)
                .build(), first);
        // a standby that does not try again during the test
        PgFlash standby = start(WalDriver.builder().slotName(slot).publicationName(slot).dropSlotOnShutdown(true)
                .standbyInterval(Duration.ofHours(1)).build(), new Recorder());
        assertThat(standby.state()).isEqualTo(DriverState.STANDBY);
        active.stop(); // the reader pauses: its slot is idle, and still its

        standby.close();

        assertThat(queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                .isEqualTo(1);
        assertThat(queryLong("SELECT count(*) FROM pg_publication WHERE pubname = '" + slot + "'")).isEqualTo(1);
        insert(1, 1);
        active.start();
        assertThat(first.awaitEvents(1).get(0).newRow().get("id")).isEqualTo(1);
        active.close(); // the reader retires the group: its slot goes
        assertThat(queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                .isZero();
    }

    @Test
    void theStandbyTakesOverWhenTheActiveSessionIsKilled() {
        String group = "standby_" + (++groups);
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        PgFlash active = start(DurableDriver.builder().group(group).standbyInterval(Duration.ofMillis(200))
                .build(), first);
        PgFlash standby = start(DurableDriver.builder().group(group).standbyInterval(Duration.ofMillis(200))
                .build(), second);
        assertThat(standby.state()).isEqualTo(DriverState.STANDBY);

        // as if the active instance's host vanished: the server ends its lock session
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = x'70676667'::int AND pid <> pg_backend_pid()");
        await().atMost(FAILOVER).until(() -> standby.state() == DriverState.STREAMING);
        await().atMost(FAILOVER).until(() -> active.state() == DriverState.STANDBY);

        db.execute("INSERT INTO posts VALUES (1, 'after the failover')");
        assertThat(second.awaitEvents(1).get(0).newRow().get("id")).isEqualTo(1);
    }

    @Test
    void anInstanceWhoseSessionsAllEndedReadsAgainOnlyIfItGetsItsTurnBack() {
        String group = "standby_" + (++groups);
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        // the reader checks its turn only every minute while reading; its reconnect must not wait for that
        PgFlash active = start(DurableDriver.builder().group(group).standbyInterval(Duration.ofMinutes(1))
                .reconnectBackOff(BackOff.fixed(Duration.ofMillis(50))).build(), first);
        PgFlash standby = start(DurableDriver.builder().group(group).standbyInterval(Duration.ofMillis(200))
                .build(), second);
        assertThat(active.state()).isEqualTo(DriverState.STREAMING);

        // as after a server restart: every pgflash session ends, the reading one and the lock sessions alike
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgflash%'"
                + " AND datname = current_database() AND pid <> pg_backend_pid()");
        await().atMost(FAILOVER).until(() -> queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = x'70676667'::int AND granted") == 1); // one of them has the turn again
        await().during(Duration.ofSeconds(1)).atMost(FAILOVER).until(() -> active.state() == DriverState.STREAMING
                ^ standby.state() == DriverState.STREAMING);
        insert(1, 20);

        Recorder reading = active.state() == DriverState.STREAMING ? first : second;
        Recorder waiting = reading == first ? second : first;
        reading.awaitEvents(20);
        assertThat(waiting.events()).as("events read by the instance without the turn").isEmpty();
    }

    @Test
    void aTakeoverWhoseFirstConnectionFailsStillResumesFromTheGroupsCursor() throws Exception {
        String group = "standby_" + (++groups);
        Supplier<ChangeDriver> driver = () -> DurableDriver.builder().group(group)
                .standbyInterval(Duration.ofMillis(200)).reconnectBackOff(BackOff.fixed(Duration.ofMillis(200)))
                .build();
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        PgFlash active = start(driver.get(), first);
        PgFlash standby = start(driver.get(), second);
        insert(1, 3);
        long handled = first.awaitEvents(3).get(2).position().major();
        await().until(() -> queryLong("SELECT cursor FROM pgflash.groups WHERE name = '" + group + "'") == handled);

        // a database's connections are switched off from another database
        String url = db.jdbcUrl();
        int name = url.lastIndexOf("/" + db.name());
        String otherDatabase = url.substring(0, name) + "/postgres" + url.substring(name + db.name().length() + 1);
        try (Connection admin = DriverManager.getConnection(otherDatabase, db.user(), db.password());
                Statement statement = admin.createStatement()) {
            // sessions already open stay (the standby's lock session); new ones are refused
            statement.execute("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
            try {
                active.close();
                await().atMost(FAILOVER).until(() -> standby.state() == DriverState.RECONNECTING);
            } finally {
                statement.execute("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
            }
        }
        await().atMost(FAILOVER).until(() -> standby.state() == DriverState.STREAMING);
        insert(4, 4);

        assertThat(second.awaitSingle().newRow().get("id")).isEqualTo(4);
        assertThat(second.gaps).isEmpty();
    }

    @Test
    void aStandbyCancellingItsSubscriptionLeavesTheReaderItsDurableCapture() {
        String group = "standby_" + (++groups);
        standbyCancelsAndTheReaderReadsOn(() -> DurableDriver.builder().group(group)
                .standbyInterval(Duration.ofMillis(200)).build());
    }

    @Test
    void aStandbyCancellingItsSubscriptionLeavesTheReaderItsPublishedTable() {
        String slot = db.name() + "_standby_" + (++groups);
        standbyCancelsAndTheReaderReadsOn(() -> WalDriver.builder().slotName(slot).publicationName(slot)
                .dropSlotOnShutdown(true).standbyInterval(Duration.ofMillis(200)).build());
    }

    @Test
    void aDurableTakeoverCapturesAgainWhatTheReaderStoppedCapturing() {
        String group = "standby_" + (++groups);
        takeoverCapturesWhatTheReaderCancelled(() -> DurableDriver.builder().group(group)
                .standbyInterval(Duration.ofMillis(200)).build());
    }

    @Test
    void aWalTakeoverPublishesAgainWhatTheReaderStoppedPublishing() {
        String slot = db.name() + "_standby_" + (++groups);
        takeoverCapturesWhatTheReaderCancelled(walGroup(slot)).close();
        dropWhenReleased(slot);
    }

    @Test
    void aWalTakeoverIsNotKeptFromReadingByATableDroppedMeanwhile() {
        String slot = db.name() + "_standby_" + (++groups);
        Supplier<ChangeDriver> driver = walGroup(slot);
        db.execute("DROP TABLE IF EXISTS doomed", "CREATE TABLE doomed (id int PRIMARY KEY)");
        PgFlash active = start(driver.get(), new Recorder());
        Recorder second = new Recorder();
        PgFlash standby = start(driver.get(), second);
        standby.subscribe(SubscriptionSpec.table("doomed").build(), new Recorder());

        db.execute("DROP TABLE doomed");
        active.close();
        await().atMost(FAILOVER).until(() -> standby.state() == DriverState.STREAMING);
        insert(1, 1);

        assertThat(second.awaitSingle().newRow().get("id")).isEqualTo(1);
        standby.close();
        dropWhenReleased(slot);
    }

    private void standbyCancelsAndTheReaderReadsOn(Supplier<ChangeDriver> driver) {
        Recorder first = new Recorder();
        PgFlash active = start(driver.get(), first);
        PgFlash standby = startFlash(driver.get());
        Subscription standing = standby.subscribe(SubscriptionSpec.table("posts").build(), new Recorder());
        assertThat(standby.state()).isEqualTo(DriverState.STANDBY);

        standing.cancel();
        insert(1, 1);

        assertThat(first.awaitSingle().newRow().get("id")).isEqualTo(1);
        active.close();
    }

    /** Returns the instance that took over. */
    private PgFlash takeoverCapturesWhatTheReaderCancelled(Supplier<ChangeDriver> driver) {
        PgFlash active = startFlash(driver.get());
        Subscription reading = active.subscribe(SubscriptionSpec.table("posts").build(), new Recorder());
        Recorder second = new Recorder();
        PgFlash standby = start(driver.get(), second);

        reading.cancel(); // the reader no longer needs the table; the standby still does
        active.close();
        await().atMost(FAILOVER).until(() -> standby.state() == DriverState.STREAMING);
        insert(1, 1);

        assertThat(second.awaitSingle().newRow().get("id")).isEqualTo(1);
        return standby;
    }

    /** Instances of one WAL group reading slot and publication {@code slot}, each trying its turn every 200 ms. */
    private static Supplier<ChangeDriver> walGroup(String slot) {
        return () -> WalDriver.builder().slotName(slot).publicationName(slot).standbyInterval(Duration.ofMillis(200))
                .reconnectBackOff(BackOff.fixed(Duration.ofMillis(200))).build();
    }

    /** Drops the group's slot and publication (which its instances leave) once no instance reads the slot. */
    private static void dropWhenReleased(String slot) {
        await().until(() -> queryLong(
                "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = '" + slot + "'") == 0);
        db.execute("SELECT pg_drop_replication_slot('" + slot + "')", "DROP PUBLICATION " + slot);
    }

    /** Returns the instance that took over. */
    private PgFlash failsOverWhenTheActiveCloses(Supplier<ChangeDriver> driver) {
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        PgFlash active = start(driver.get(), first);
        PgFlash standby = start(driver.get(), second);
        assertThat(active.state()).isEqualTo(DriverState.STREAMING);
        assertThat(standby.state()).isEqualTo(DriverState.STANDBY);

        insert(1, 50);
        first.awaitEvents(50);
        assertThat(second.events()).isEmpty(); // exactly one instance reads

        active.close();
        insert(51, 100); // committed while the group has no reader
        await().atMost(FAILOVER).until(() -> standby.state() == DriverState.STREAMING);
        insert(101, 150);

        await().atMost(FAILOVER).untilAsserted(() -> assertThat(ids(first, second))
                .containsAll(IntStream.rangeClosed(1, 150).boxed().collect(Collectors.toSet())));
        return standby;
    }

    private PgFlash start(ChangeDriver driver, Recorder recorder) {
        PgFlash flash = startFlash(driver);
        flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        return flash;
    }

    private static void insert(int from, int to) {
        for (int id = from; id <= to; id++) {
            db.execute("INSERT INTO posts VALUES (" + id + ", 'row')");
        }
    }

    private static Set<Object> ids(Recorder... recorders) {
        Set<Object> ids = new HashSet<>();
        for (Recorder recorder : recorders) {
            recorder.events().forEach(event -> ids.add(event.newRow().get("id")));
        }
        return ids;
    }
}
