package io.pgflash.core;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** A database per test class and clients closed after each test. */
public abstract class FlashTestBase {

    protected static TestDatabase db;
    private final List<PgFlash> clients = new ArrayList<>();

    @BeforeAll
    static void createDatabase() {
        db = TestPostgres.shared().createDatabase();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(PgFlash::close);
        clients.clear();
    }

    /**
     * Whether the server prints an interval of more than 2^31 hours, which PGInterval cannot hold (PostgreSQL 14
     * cannot print it either).
     */
    protected static boolean printsIntervalsBeyondJava() {
        return queryLong("SELECT current_setting('server_version_num')::int") >= 150000;
    }

    /** Whether the named thread (a driver's reader) waits to put into a full queue. */
    protected static boolean waitsForRoom(String threadName) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(thread -> thread.getKey().getName().equals(threadName))
                .anyMatch(thread -> Arrays.stream(thread.getValue())
                        .anyMatch(frame -> frame.getMethodName().equals("put")
                                && frame.getClassName().endsWith("LaneQueue")));
    }

    /** A started client with the default trigger driver. */
    protected PgFlash startFlash() {
        return startFlash(NotifyDriver.builder().build());
    }

    private static int groups;

    /** A WAL driver with a consumer group (and so a slot) of its own, dropped when the test ends. */
    protected static WalDriver.Builder walDriver() {
        return WalDriver.builder().group(db.name() + "_" + (++groups)).dropSlotOnShutdown(true)
                .reconnectBackOff(BackOff.fixed(java.time.Duration.ofMillis(100)));
    }

    protected PgFlash startFlash(ChangeDriver driver) {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).driver(driver).build();
        clients.add(flash);
        flash.start();
        return flash;
    }

    /** Closes {@code flash} when the test ends. */
    protected void closeAfterTest(PgFlash flash) {
        clients.add(flash);
    }

    /** The first column of the first row of a query, as a number (0 for NULL). */
    protected static long queryLong(String sql) {
        return firstValue(sql, rs -> rs.getLong(1));
    }

    /** The first column of the first row of a query, as text. */
    protected static String queryString(String sql) {
        return firstValue(sql, rs -> rs.getString(1));
    }

    private interface Column<T> {
        T read(java.sql.ResultSet rs) throws java.sql.SQLException;
    }

    private static <T> T firstValue(String sql, Column<T> column) {
        try (var connection = db.connect(); var statement = connection.createStatement();
                var rs = statement.executeQuery(sql)) {
            rs.next();
            return column.read(rs);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Number of pgflash triggers on a table. */
    protected static long triggerCount(String table) {
        try (var connection = db.connect();
                var statement = connection.prepareStatement(
                        "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(?) AND NOT tgisinternal")) {
            statement.setString(1, table);
            try (var rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
