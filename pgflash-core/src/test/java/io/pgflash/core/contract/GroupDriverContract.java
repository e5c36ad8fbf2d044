package io.pgflash.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.BackOff;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Operation;
import io.pgflash.core.Recorder;
import io.pgflash.core.SnapshotMode;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.GroupRole;
import io.pgflash.test.TcpProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guarantees of drivers with consumer groups, where one instance reads and the others stand by: two instances,
 * each reaching the database through a proxy of its own that can cut it off (an outage) or for good (its process
 * killed). They use the default reconnect back-off (100 ms doubling to 10 s).
 */
public abstract class GroupDriverContract extends DriverContract {

    protected static final Duration STANDBY_INTERVAL = Duration.ofSeconds(1);
    private static int groups;

    private final List<Member> members = new CopyOnWriteArrayList<>();
    private String group;

    /** An instance of {@code group} that tries its turn every {@code standbyInterval}, with the default back-off. */
    protected abstract ChangeDriver groupMember(String group, Duration standbyInterval);

    @BeforeEach
    void newGroup() {
        group = db.name() + "_contract_" + (++groups);
    }

    @AfterEach
    void closeMembers() {
        members.forEach(Member::close);
    }

    @Test
    void duringAnOutageNoInstanceSaysItIsTheReaderAndAfterItOneReadsAgain() {
        Member first = member();
        Member second = member();
        awaitOneReaderAndOneStandby(first, second);

        outage(Duration.ofSeconds(2), () -> {
            await().atMost(Duration.ofSeconds(5)).until(() -> first.role() != GroupRole.ACTIVE
                    && second.role() != GroupRole.ACTIVE);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                    .until(() -> first.role() != GroupRole.ACTIVE && second.role() != GroupRole.ACTIVE);
        }, first, second);

        Member reader = awaitOneReaderAndOneStandby(first, second);
        db.execute("INSERT INTO posts VALUES (1, 'after the outage')");
        assertThat(reader.recorder.awaitSingle().newRow().get("id")).isEqualTo(1);
    }

    @Test
    void afterAnOutageTheStandbyTakesOverAKilledReaderWithinTwoStandbyIntervals() {
        Member first = member();
        Member second = member();
        awaitOneReaderAndOneStandby(first, second);
        outage(Duration.ofSeconds(4), () -> { }, first, second); // long enough for several failed attempts each
        awaitOneReaderAndOneStandby(first, second);

        // a second, short outage: each instance's back-off starts again from the shortest wait
        outage(STANDBY_INTERVAL.multipliedBy(11).dividedBy(10), () -> { }, first, second);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.role() == GroupRole.ACTIVE
                || second.role() == GroupRole.ACTIVE);
        Member reader = first.role() == GroupRole.ACTIVE ? first : second;
        Member standby = reader == first ? second : first;
        reader.kill();

        await().atMost(STANDBY_INTERVAL.multipliedBy(2)).until(() -> standby.role() == GroupRole.ACTIVE);
        db.execute("INSERT INTO posts VALUES (1, 'after the takeover')");
        assertThat(standby.recorder.awaitSingle().newRow().get("id")).isEqualTo(1);
        // each outage is counted apart, also by an instance that stood by: one reconnect each (a takeover may add
        // one), reporting that outage's attempts
        assertThat(standby.reconnects).hasSizeGreaterThanOrEqualTo(2);
        assertThat(standby.reconnects.stream().mapToInt(Integer::intValue).sum())
                .as("failed attempts reported when reconnected").isEqualTo(standby.failedAttempts.get());
    }

    /**
     * Events a listener still retries when the client stops (its error policy blocks, and the shutdown timeout ends
     * the wait) are not confirmed: the group's next start delivers them again, from the first, and not those the
     * listener handled before.
     */
    @Test
    void eventsAListenerStillRetriedAtAStopComeAgainAtTheNextStart() {
        AtomicInteger attempts = new AtomicInteger();
        AtomicBoolean targetAway = new AtomicBoolean(true);
        SubscriptionSpec failing = SubscriptionSpec.table("posts").operations(Operation.INSERT)
                .errorPolicy(ErrorPolicy.block(BackOff.fixed(Duration.ofMillis(50)))).build();
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .driver(groupMember(group, STANDBY_INTERVAL)).shutdownTimeout(Duration.ofMillis(500)).build();
        Recorder handled = new Recorder();
        flash.subscribeBatch(failing, events -> {
            if (targetAway.get() && (Integer) events.get(0).newRow().get("id") > 10) {
                if (attempts.incrementAndGet() >= 3) {
                    Thread.sleep(60_000); // a call that never returns: interrupted by the stop
                }
                throw new IllegalStateException("the listener's target is away");
            }
            events.forEach(handled::onChange);
        });
        try (flash) {
            flash.start();
            db.execute("INSERT INTO posts SELECT g, 'handled' FROM generate_series(1, 10) g");
            handled.awaitEvents(10);
            db.execute("INSERT INTO posts SELECT g, 'retried' FROM generate_series(11, 20) g",
                    "INSERT INTO posts VALUES (21, 'waiting')", "INSERT INTO posts VALUES (22, 'waiting')");
            await().until(() -> attempts.get() >= 3);
            flash.stop();

            targetAway.set(false);
            flash.start(); // a stop keeps what the group has not confirmed, as a restarted process would find it
            assertThat(handled.awaitEvents(22)).extracting(event -> event.newRow().get("id"))
                    .startsWith(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13).hasSize(22);
        }
    }

    /** Returns the reader, once one instance reads and the other stands by. */
    private static Member awaitOneReaderAndOneStandby(Member first, Member second) {
        await().atMost(Duration.ofSeconds(30)).until(() -> first.role() == GroupRole.ACTIVE
                && second.role() == GroupRole.STANDBY || first.role() == GroupRole.STANDBY
                && second.role() == GroupRole.ACTIVE);
        return first.role() == GroupRole.ACTIVE ? first : second;
    }

    /**
     * The group keeps its snapshots' places: the next start goes on after the chunks the listener handled (up to
     * nine of 100 rows), and a start after the snapshot completed takes none.
     */
    @Test
    @Override
    protected void whatTheStartsAfterAnInitialSnapshotInterruptedByAStopRead() throws Exception {
        InterruptedSnapshot interrupted = interruptInitialSnapshot();
        PgFlash flash = interrupted.flash();
        Gate gate = interrupted.gate();
        flash.start();
        await().until(() -> gate.notices.contains("COMPLETED at " + INTERRUPTED_ROWS + " rows"));
        long handled = resumedAt(gate);
        assertThat(gate.notices).containsExactly("RESUMED at " + handled + " rows", "COMPLETED at " + INTERRUPTED_ROWS
                + " rows");
        assertThat(gate.reads.get()).isEqualTo(INTERRUPTED_ROWS - handled);

        flash.stop();
        flash.start();
        db.execute("INSERT INTO posts VALUES (0, 'after')");
        await().until(() -> !gate.changes.isEmpty());
        assertThat(gate.changes).extracting(event -> event.newRow().get("id")).containsExactly(0);
        assertThat(gate.notices).hasSize(2);
        assertThat(gate.reads.get()).isEqualTo(INTERRUPTED_ROWS - handled);
    }

    /**
     * The rows a RESUMED notice says were handled before: whole chunks, some of the nine before the held row (a lane
     * acknowledges the events it took together once its listener returned for all, so the chunk just before the held
     * row may not count yet), and never the held one.
     */
    private static long resumedAt(Gate gate) {
        String resumed = gate.notices.get(0);
        assertThat(resumed).startsWith("RESUMED at ");
        long rows = Long.parseLong(resumed.split(" ")[2]);
        assertThat(rows).isPositive().isLessThanOrEqualTo(INTERRUPTED_AT - 100);
        assertThat(rows % 100).as("whole chunks").isZero();
        return rows;
    }

    /**
     * The checkpoints belong to the group, not to an instance: a standby that takes over from a reader killed in the
     * middle of an initial snapshot goes on after the chunks that reader's listener handled.
     */
    @Test
    void aStandbyThatTakesOverGoesOnWithTheInitialSnapshotAfterTheChunksTheKilledReaderHandled() {
        db.execute("INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, " + INTERRUPTED_ROWS + ") g");
        SubscriptionSpec spec = SubscriptionSpec.table("posts").id("taken-over").snapshot(SnapshotMode.INITIAL)
                .build();
        Member first = member(spec, new Gate(INTERRUPTED_AT));
        Member second = member(spec, new Gate(INTERRUPTED_AT));
        Member reader = awaitOneReaderAndOneStandby(first, second);
        Member standby = reader == first ? second : first;
        standby.gate.holdAt = 0; // it reads the rest in one go
        await().until(() -> reader.gate.holding.getCount() == 0);
        await().until(() -> checkpointedRows("taken-over") > 0); // some of the chunks before the held row
        reader.kill();
        long checkpointed = checkpointedRows("taken-over");

        await().atMost(Duration.ofSeconds(30)).until(() -> standby.gate.notices.contains("COMPLETED at "
                + INTERRUPTED_ROWS + " rows"));
        assertThat(resumedAt(standby.gate)).isEqualTo(checkpointed);
        assertThat(standby.gate.notices).hasSize(2);
        assertThat(standby.gate.reads.get()).isEqualTo(INTERRUPTED_ROWS - checkpointed);
        reader.gate.release.countDown();
    }

    /** The rows the checkpoints of this schema count for a subscription id (0 without one). */
    private static long checkpointedRows(String subscription) {
        try (java.sql.Connection connection = db.connect(); java.sql.Statement statement = connection.createStatement();
                java.sql.ResultSet rs = statement.executeQuery("SELECT coalesce(max(row_count), 0) FROM"
                        + " pgflash.snapshot_checkpoints WHERE subscription = '" + subscription + "' AND NOT completed")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return 0; // the table is made by the first snapshot
        }
    }

    /** Cuts the members off the database for {@code length}, running {@code meanwhile} during it. */
    private static void outage(Duration length, Runnable meanwhile, Member... cutOff) {
        long end = System.nanoTime() + length.toNanos();
        for (Member member : cutOff) {
            member.proxy.cutOff();
        }
        try {
            meanwhile.run();
            await().atMost(length.plusSeconds(1)).until(() -> System.nanoTime() >= end);
        } finally {
            for (Member member : cutOff) {
                member.proxy.restore();
            }
        }
    }

    private Member member() {
        return member(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), null);
    }

    /** A member whose one subscription is {@code spec}, to its recorder, or to {@code gate} if given. */
    private Member member(SubscriptionSpec spec, Gate gate) {
        Member member = new Member(groupMember(group, STANDBY_INTERVAL), spec, gate);
        members.add(member);
        return member;
    }

    /** One instance of the group: its client, its proxy, what it received and its reconnects. */
    private final class Member implements PgFlashObserver {
        final TcpProxy proxy = TcpProxy.inFrontOf(db.jdbcUrl());
        final Recorder recorder = new Recorder();
        final AtomicInteger failedAttempts = new AtomicInteger();
        final List<Integer> reconnects = new CopyOnWriteArrayList<>();
        final Gate gate;
        final PgFlash flash;

        Member(ChangeDriver driver, SubscriptionSpec spec, Gate gate) {
            this.gate = gate;
            flash = PgFlash.builder().jdbcUrl(proxy.rewrite(db.jdbcUrl()), db.user(), db.password()).driver(driver)
                    .shutdownTimeout(Duration.ofSeconds(2)).snapshotChunkSize(100).observer(this).build();
            flash.subscribe(spec, gate != null ? gate : recorder);
            flash.start();
        }

        GroupRole role() {
            return flash.driver().groupRole().orElseThrow();
        }

        /** As if its process were killed: its connections end, and it never reaches the database again. */
        void kill() {
            proxy.close();
        }

        @Override
        public void reconnecting() {
            failedAttempts.incrementAndGet();
        }

        @Override
        public void reconnected(int attempts) {
            reconnects.add(attempts);
        }

        void close() {
            flash.close();
            proxy.close();
        }
    }
}
