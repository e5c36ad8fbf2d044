package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarted mid-stream (a fast shutdown, which ends every session, then a start on the same data) while a
 * writer keeps inserting: each driver reconnects by itself, and the WAL driver and the durable mode deliver every
 * row whose commit succeeded. The notify mode keeps nothing across the outage; it reconnects and reports the gap.
 */
class ServerRestartTest {

    private TestPostgres.Dedicated server;
    private TestDatabase db;
    private PgFlash flash;

    @BeforeEach
    void start() {
        assumeTrue(TestPostgres.canStartDedicated(), "needs the embedded test server");
        server = TestPostgres.dedicated(Map.of());
        db = server.postgres().createDatabase();
        db.execute("CREATE TABLE posts (id int PRIMARY KEY, title text)");
    }

    @AfterEach
    void stop() {
        if (flash != null) {
            flash.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void walDriverDeliversEveryCommittedRowAcrossARestart() throws Exception {
        deliversEveryCommittedRow(WalDriver.builder().group("restart").dropSlotOnShutdown(true)
                .reconnectBackOff(BackOff.fixed(Duration.ofMillis(200))).build());
    }

    @Test
    void durableModeDeliversEveryCommittedRowAcrossARestart() throws Exception {
        deliversEveryCommittedRow(DurableDriver.builder().group("restart")
                .reconnectBackOff(BackOff.fixed(Duration.ofMillis(200))).build());
    }

    @Test
    void notifyModeReconnectsAndReportsTheGap() throws Exception {
        Recorder recorder = new Recorder();
        flash = start(NotifyDriver.builder().reconnectBackOff(BackOff.fixed(Duration.ofMillis(200))).build(),
                recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitEvents(1);

        server.restart();

        AtomicInteger id = new AtomicInteger(1);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            insertIgnoringOutage(id.incrementAndGet());
            assertThat(recorder.events()).anySatisfy(event -> assertThat(event.newRow().get("id")).isNotEqualTo(1));
        });
        assertThat(recorder.gaps).isNotEmpty();
    }

    private void deliversEveryCommittedRow(ChangeDriver driver) throws Exception {
        Recorder recorder = new Recorder();
        flash = start(driver, recorder);
        Set<Integer> committed = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger next = new AtomicInteger();
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                int id = next.incrementAndGet();
                if (insertIgnoringOutage(id)) {
                    committed.add(id);
                }
            }
        }, "restart-test-writer");
        writer.start();
        await().until(() -> committed.size() >= 100);

        server.restart();

        int afterRestart = committed.size() + 100;
        await().atMost(Duration.ofSeconds(60)).until(() -> committed.size() >= afterRestart);
        writing.set(false);
        writer.join();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(recorder.events())
                .extracting(event -> (Integer) event.newRow().get("id")).containsAll(committed));
    }

    private PgFlash start(ChangeDriver driver, Recorder recorder) {
        PgFlash started = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver).build();
        started.start();
        started.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        return started;
    }

    /** Inserts one row in its own transaction; false when the server was down or restarting. */
    private boolean insertIgnoringOutage(int id) {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO posts VALUES (" + id + ", 'row " + id + "')");
            return true;
        } catch (SQLException | IllegalStateException e) {
            return false; // not committed: the server is restarting
        }
    }
}
