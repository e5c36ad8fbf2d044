package io.pgflash.core.driver;

import static io.pgflash.core.driver.Reconnects.closeQuietly;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One instance of a consumer group reads at a time: the one holding a session advisory lock keyed by the group, on a
 * connection of its own; the others stand by and try again. The lock goes with the session, so the server releases
 * it as soon as it sees an instance's connection close (a process killed, or {@link #release()}), and within about
 * 6 s when the connection is cut silently (server-side TCP keepalives and user timeout on this session). An instance
 * whose own lock session went silent but still lives on the server (behind a proxy, say) ends that session when it
 * tries again, so it does not lock itself out.
 */
public final class GroupLeadership implements AutoCloseable {

    /** First key of the group locks ('pgfg'), apart from pgflash's other advisory locks. */
    private static final int LOCK_NAMESPACE = 0x70676667;

    private final ConnectionFactory connections;
    private final String key;
    private Connection connection;
    private boolean held;
    /** The server session that held the lock, as {@code pid} and start time, until it is known to be gone. */
    private Integer lostPid;
    private String lostSessionStart;
    private Integer pid;
    private String sessionStart;

    /** @param key what one active instance at a time stands for, e.g. {@code durable:schema:group} */
    public GroupLeadership(ConnectionFactory connections, String key) {
        this.connections = connections;
        this.key = key;
    }

    /** Tries to become (or stay) the active instance; true when this instance is it. */
    public synchronized boolean tryAcquire() throws SQLException {
        if (held) {
            return true;
        }
        if (connection == null || !connection.isValid(2)) {
            closeQuietly(connection);
            connection = open();
        }
        endLostSession();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_try_advisory_lock(" + LOCK_NAMESPACE + ", hashtext(?)), pg_backend_pid(),"
                        + " (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid())")) {
            statement.setString(1, key);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                held = rs.getBoolean(1);
                pid = rs.getInt(2);
                sessionStart = rs.getString(3);
            }
        }
        return held;
    }

    /** Ends this instance's earlier lock session if the server still has it (the very session: pid and start). */
    private void endLostSession() throws SQLException {
        if (lostPid == null) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_terminate_backend(pid)"
                + " FROM pg_stat_activity WHERE pid = ? AND backend_start::text = ?")) {
            statement.setInt(1, lostPid);
            statement.setString(2, lostSessionStart);
            statement.execute();
        }
        lostPid = null;
        lostSessionStart = null;
    }

    /** Whether this instance is still the active one: its lock's session is alive. */
    public synchronized boolean stillHeld() {
        if (held && !connectionAlive()) {
            held = false;
            lostPid = pid;
            lostSessionStart = sessionStart;
            closeQuietly(connection);
            connection = null;
        }
        return held;
    }

    /** Whether this instance is the active one, as last seen (no round trip). */
    public synchronized boolean held() {
        return held;
    }

    /**
     * Gives the role up: another instance (or this one, started again) can take it at once. The lock is released
     * explicitly, as a closed session's backend may take a moment to end.
     */
    public synchronized void release() {
        if (held && connection != null) {
            try (PreparedStatement unlock = connection.prepareStatement(
                    "SELECT pg_advisory_unlock(" + LOCK_NAMESPACE + ", hashtext(?))")) {
                unlock.setString(1, key);
                unlock.execute();
            } catch (SQLException e) {
                // the session is gone, and the lock with it
            }
        }
        held = false;
        closeQuietly(connection);
        connection = null;
    }

    @Override
    public void close() {
        release();
    }

    private boolean connectionAlive() {
        try {
            return connection != null && connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private Connection open() throws SQLException {
        Connection opened = connections.open();
        try (Statement statement = opened.createStatement()) {
            // the server notices a silently cut connection in seconds, not hours, and frees the lock
            statement.execute("SET tcp_keepalives_idle = 3");
            statement.execute("SET tcp_keepalives_interval = 1");
            statement.execute("SET tcp_keepalives_count = 3");
            statement.execute("SET tcp_user_timeout = 6000");
        } catch (SQLException e) {
            closeQuietly(opened);
            throw e;
        }
        return opened;
    }
}
