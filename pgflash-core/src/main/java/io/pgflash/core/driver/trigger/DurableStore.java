package io.pgflash.core.driver.trigger;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The durable mode's statements, each a method beside its SQL and its bindings, on a connection the caller gives (a
 * reader's own session, or a short-lived one). Within a round events are ordered by id, the order they were written
 * in, so a change that waited for another transaction's commit comes after it; they are numbered from the round's
 * first position, so every group sees the same positions without writing to the event rows.
 */
final class DurableStore {

    /** Rows deleted at once by retention, so no lock is held long. */
    static final int RETENTION_BATCH = 5000;
    /** The consumer session's cursor over a large round. */
    private static final String ROUND_CURSOR = "pgflash_round";

    private final DurableSchema schema;
    private final String s;
    /** The reader's statements of every round, written once: building them per round showed in its profile. */
    private final String roundAfterSql;
    private final String cutRoundSql;
    private final String roundEventsSql;

    DurableStore(DurableSchema schema) {
        this.schema = schema;
        this.s = TableName.quote(schema.name());
        this.roundAfterSql = roundAfter();
        this.cutRoundSql = cutRound();
        this.roundEventsSql = roundEvents();
    }

    /** The operation of a snapshot chunk's watermark in the event table. */
    static final String WATERMARK_OP = "W";

    /** An event-table row: one changed row (in the older layout, one statement's). */
    record EventRow(String xid, long relid, String op, Instant stamp, String body) {

        /** The row's change item; rows of the older per-statement layout hold several, length-prefixed. */
        List<String> items() {
            if (body.isEmpty()) {
                return List.of();
            }
            return Character.isDigit(body.charAt(0)) ? Notification.items(body, 0) : List.of(body);
        }

        /** The 32-bit transaction id, as pgoutput and the notify mode report it. */
        long xid32() {
            return Long.parseLong(xid) & 0xFFFF_FFFFL;
        }
    }

    /** A round found or cut, with the digest of the group's captured columns as of then. */
    record FoundRound(Round round, String columns) {
    }

    /** The end position of the rounds before a cut, and the round it cut for the reader (if any). */
    record Cut(long lastEnd, Optional<FoundRound> round) {
    }

    /** The newest round every live group has read, and its snapshot. */
    record Consumed(long round, String snapshot) {
    }

    /** Sets a statement's parameters. */
    @FunctionalInterface
    private interface Binding {
        void bind(PreparedStatement statement) throws SQLException;
    }

    /** Reads one result row. */
    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** The rows of a query, each mapped. */
    private static <T> List<T> query(Connection c, String sql, Binding binding, RowMapper<T> mapper)
            throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            binding.bind(statement);
            List<T> rows = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
            }
            return rows;
        }
    }

    /** Runs an update; returns the rows it changed. */
    private static int update(Connection c, String sql, Binding binding) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            binding.bind(statement);
            return statement.executeUpdate();
        }
    }

    /**
     * Creates the group at the end of the rounds cut so far if it is new, and records its expiry; returns whether it
     * was new.
     */
    boolean joinGroup(Connection c, String group, long expirySeconds) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("INSERT INTO " + s + ".groups (name, cursor,"
                + " expiry_seconds) VALUES (?, (SELECT max(first_position + events) - 1 FROM " + s + ".rounds), ?)"
                + " ON CONFLICT (name) DO UPDATE SET seen_at = now(), expiry_seconds = excluded.expiry_seconds"
                + " RETURNING xmax = 0")) { // no old row version: inserted
            statement.setString(1, group);
            statement.setLong(2, expirySeconds);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The tables and operations the group captured when it last ran. */
    Map<Long, Set<Operation>> captures(Connection c, String group) throws SQLException {
        Map<Long, Set<Operation>> captures = new LinkedHashMap<>();
        for (Map.Entry<Long, Operation> each : query(c, "SELECT relid, operation FROM " + s + ".durable_captures"
                + " WHERE grp = ? ORDER BY relid", statement -> statement.setString(1, group),
                rs -> Map.entry(rs.getLong(1), Operation.valueOf(rs.getString(2))))) {
            captures.computeIfAbsent(each.getKey(), oid -> EnumSet.noneOf(Operation.class)).add(each.getValue());
        }
        return captures;
    }

    /** Adds the group's captures of the table's operations (those it has stay). */
    void insertCaptures(Connection c, String group, long relid, Set<Operation> operations) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + s + ".durable_captures (grp, relid,"
                + " operation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (Operation operation : operations) {
                insert.setString(1, group);
                insert.setLong(2, relid);
                insert.setString(3, operation.name());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    void deleteCaptures(Connection c, String group, long relid) throws SQLException {
        update(c, "DELETE FROM " + s + ".durable_captures WHERE grp = ? AND relid = ?", statement -> {
            statement.setString(1, group);
            statement.setLong(2, relid);
        });
    }

    /** Each captured table's column layout when the group had last read everything, by table oid. */
    Map<Long, String> layouts(Connection c, String group) throws SQLException {
        Map<Long, String> layouts = new LinkedHashMap<>();
        query(c, "SELECT relid, layout FROM " + s + ".read_layouts WHERE grp = ?", statement -> statement.setString(1,
                group), rs -> layouts.put(rs.getLong(1), rs.getString(2)));
        return layouts;
    }

    void saveLayouts(Connection c, String group, Map<Long, String> layouts) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("INSERT INTO " + s + ".read_layouts (grp, relid,"
                + " layout) VALUES (?, ?, ?) ON CONFLICT (grp, relid) DO UPDATE SET layout = excluded.layout")) {
            for (Map.Entry<Long, String> each : layouts.entrySet()) {
                statement.setString(1, group);
                statement.setLong(2, each.getKey());
                statement.setString(3, each.getValue());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Tells other instances the group is alive. */
    void heartbeat(Connection c, String group) throws SQLException {
        update(c, "UPDATE " + s + ".groups SET seen_at = now() WHERE name = ?", statement -> statement.setString(1,
                group));
    }

    long cursor(Connection c, String group) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT cursor FROM " + s + ".groups WHERE name = ?")) {
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Moves the group's cursor forward to {@code handled} (never back), and marks the group seen. */
    void saveCursor(Connection c, String group, long handled) throws SQLException {
        update(c, "UPDATE " + s + ".groups SET cursor = greatest(cursor, ?), seen_at = now() WHERE name = ?",
                statement -> {
                    statement.setLong(1, handled);
                    statement.setString(2, group);
                });
    }

    /** The first round, not purged, with events past the cursor. */
    Optional<FoundRound> roundAfter(Connection c, String group, long cursor) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(roundAfterSql)) {
            statement.setString(1, group);
            statement.setLong(2, cursor);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? Optional.of(new FoundRound(round(rs, 1, cursor), String.valueOf(rs.getString(5))))
                        : Optional.empty();
            }
        }
    }

    /**
     * Cuts a round of the events of transactions that committed since the last round's snapshot, under the schema's
     * round lock (so rounds follow each other), if there are some and the reader at {@code readerAt} is at the end of
     * the last round: then that reader reads it. In {@code c}'s transaction, which holds the lock until it commits
     * (in auto-commit pgjdbc's simple query mode would run the two statements as two transactions). The lock and the
     * cut go to the server at once, one round trip, and each statement has a snapshot of its own (the transaction
     * must be read committed): the cut's is taken after the lock, so it is newer than the last round's.
     */
    Cut cutRound(Connection c, String group, long readerAt) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("A round is cut in a transaction of the caller's, which holds the lock");
        }
        try (PreparedStatement cut = c.prepareStatement(cutRoundSql)) {
            cut.setString(1, schema.name());
            cut.setLong(2, readerAt);
            cut.setString(3, group);
            cut.execute(); // the lock's row comes first
            if (!cut.getMoreResults()) {
                throw new SQLException("cutting a round returned no result after taking the rounds lock");
            }
            try (ResultSet rs = cut.getResultSet()) {
                rs.next();
                long lastEnd = rs.getLong(1);
                return new Cut(lastEnd, rs.getString(2) == null ? Optional.empty()
                        : Optional.of(new FoundRound(round(rs, 2, readerAt), String.valueOf(rs.getString(6)))));
            }
        }
    }

    private String roundAfter() {
        return """
                SELECT r.snapshot::text, p.snapshot::text, r.first_position, r.events, %2$s
                FROM %1$s.rounds r JOIN %1$s.rounds p ON p.round = r.round - 1
                WHERE r.first_position + r.events - 1 > ? AND NOT r.purged
                ORDER BY r.round LIMIT 1""".formatted(s, capturedColumns());
    }

    private String cutRound() {
        return """
                SELECT pg_advisory_xact_lock(%3$s, hashtext(? || ':rounds'));
                WITH last AS (SELECT round, snapshot, first_position, events FROM %1$s.rounds
                              ORDER BY round DESC LIMIT 1),
                     taken AS (SELECT pg_current_snapshot() AS snapshot),
                     committed AS (SELECT count(*) AS events FROM %1$s.events e, last, taken
                                   WHERE e.xid >= pg_snapshot_xmin(last.snapshot)
                                     AND e.xid < pg_snapshot_xmax(taken.snapshot)
                                     AND pg_visible_in_snapshot(e.xid, taken.snapshot)
                                     AND NOT pg_visible_in_snapshot(e.xid, last.snapshot)),
                     cut AS (INSERT INTO %1$s.rounds (round, snapshot, first_position, events)
                             SELECT last.round + 1, taken.snapshot, last.first_position + last.events, committed.events
                             FROM last, taken, committed
                             WHERE committed.events > 0 AND last.first_position + last.events - 1 <= ?
                             RETURNING snapshot, first_position, events)
                SELECT last.first_position + last.events - 1,
                       cut.snapshot::text, last.snapshot::text, cut.first_position, cut.events,
                       CASE WHEN cut.snapshot IS NOT NULL THEN %2$s END
                FROM taken CROSS JOIN last LEFT JOIN cut ON true""".formatted(s, capturedColumns(),
                TriggerSql.LOCK_NAMESPACE);
    }

    /**
     * A digest of the columns of the tables a group (the parameter) captures: it changes with any rename, type
     * change, drop or add, so a reader checks them with each round it opens at the cost of a catalog index scan.
     */
    private String capturedColumns() {
        return """
                (SELECT md5(string_agg(a.attrelid::text || ':' || a.attnum::text || ':' || a.attname::text || ':'
                                       || a.atttypid::text || ':' || a.atttypmod::text || ':' || a.attisdropped::text,
                                       ',' ORDER BY a.attrelid, a.attnum))
                 FROM pg_attribute a
                 WHERE a.attrelid IN (SELECT c.relid FROM %1$s.durable_captures c WHERE c.grp = ?) AND a.attnum > 0)"""
                .formatted(s);
    }

    /** The round in the four columns from {@code column}: snapshot, cut against, first position, events. */
    private static Round round(ResultSet rs, int column, long cursor) throws SQLException {
        return new Round(rs.getString(column), rs.getString(column + 1), rs.getLong(column + 2),
                rs.getLong(column + 3), cursor);
    }

    /** The events of a round in id order, between the snapshot it was cut against and its own. */
    private String roundEvents() {
        return """
                SELECT e.xid::text AS xid_text, e.relid, e.op, e.stamp, e.body FROM %1$s.events e
                WHERE e.xid >= pg_snapshot_xmin(?::pg_snapshot) AND e.xid < pg_snapshot_xmax(?::pg_snapshot)
                  AND NOT pg_visible_in_snapshot(e.xid, ?::pg_snapshot)
                  AND pg_visible_in_snapshot(e.xid, ?::pg_snapshot)
                ORDER BY e.id""".formatted(s);
    }

    /** Binds a round's snapshots to {@link #roundEventsSql}; returns the next parameter's index. */
    private static int bindRound(PreparedStatement statement, Round round) throws SQLException {
        statement.setString(1, round.cutAgainst);
        statement.setString(2, round.snapshot);
        statement.setString(3, round.cutAgainst);
        statement.setString(4, round.snapshot);
        return 5;
    }

    /** Up to {@code limit} of a small round's events, after those read (before a restart, say). */
    List<EventRow> fetch(Connection c, Round round, int limit) throws SQLException {
        return query(c, roundEventsSql + " LIMIT ? OFFSET ?", statement -> {
            int next = bindRound(statement, round);
            statement.setInt(next, limit);
            statement.setLong(next + 1, round.read);
        }, DurableStore::eventRow);
    }

    /**
     * Opens a cursor over a large round, sorted once and kept past the transaction, so each batch is a plain fetch
     * and no transaction stays open while listeners work; it starts after the events already read.
     */
    void openRound(Connection c, Round round) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "DECLARE " + ROUND_CURSOR + " NO SCROLL CURSOR WITH HOLD FOR " + roundEventsSql)) {
            bindRound(statement, round);
            statement.execute();
        }
        round.cursorOpen = true;
        if (round.read > 0) {
            try (Statement statement = c.createStatement()) {
                statement.execute("MOVE FORWARD " + round.read + " IN " + ROUND_CURSOR);
            }
        }
    }

    List<EventRow> fetchFromRound(Connection c, int limit) throws SQLException {
        return query(c, "FETCH FORWARD " + limit + " FROM " + ROUND_CURSOR, statement -> { }, DurableStore::eventRow);
    }

    void closeRound(Connection c) throws SQLException {
        try (Statement statement = c.createStatement()) {
            statement.execute("CLOSE " + ROUND_CURSOR);
        }
    }

    private static EventRow eventRow(ResultSet rs) throws SQLException {
        return new EventRow(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getTimestamp(4).toInstant(),
                rs.getString(5));
    }

    /**
     * Whether a group (alias g) has not been seen for its own expiry, or for the parameter's (in seconds) if it was
     * last run by a pgflash that did not record one.
     */
    private static String expired() {
        return "g.seen_at <= now() - make_interval(secs => coalesce(g.expiry_seconds, ?))";
    }

    /** Groups not seen for their expiry, which no longer hold events back. */
    List<String> expiredGroups(Connection c, long expirySeconds) throws SQLException {
        return query(c, "SELECT g.name FROM " + s + ".groups g WHERE " + expired(),
                statement -> statement.setLong(1, expirySeconds), rs -> rs.getString(1));
    }

    long countExpiredGroups(Connection c, long expirySeconds) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT count(*) FROM " + s + ".groups g WHERE " + expired())) {
            statement.setQueryTimeout(5);
            statement.setLong(1, expirySeconds);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The newest round that every live group has read to its end. */
    Optional<Consumed> consumedRound(Connection c, long expirySeconds) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("""
                SELECT round, snapshot::text FROM %1$s.rounds
                WHERE NOT purged AND first_position + events - 1 <= (SELECT min(g.cursor) FROM %1$s.groups g
                                                                     WHERE NOT (%2$s))
                ORDER BY round DESC LIMIT 1""".formatted(s, expired()))) {
            statement.setLong(1, expirySeconds);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? Optional.of(new Consumed(rs.getLong(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    /** Deletes one bounded batch of the events of rounds up to the one whose snapshot is given; returns how many. */
    int deleteConsumed(Connection c, String snapshot) throws SQLException {
        return update(c, """
                DELETE FROM %1$s.events WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM %1$s.events
                    WHERE xid < pg_snapshot_xmax(?::pg_snapshot) AND pg_visible_in_snapshot(xid, ?::pg_snapshot)
                    LIMIT %2$d))""".formatted(s, RETENTION_BATCH), statement -> {
                    statement.setString(1, snapshot);
                    statement.setString(2, snapshot);
                });
    }

    /** Marks the round purged and forgets older ones (the purged round stays to cut the next one against). */
    void purgeRounds(Connection c, long round) throws SQLException {
        update(c, "UPDATE " + s + ".rounds SET purged = true WHERE round = ?", statement -> statement.setLong(1, round));
        update(c, "DELETE FROM " + s + ".rounds WHERE round < ?", statement -> statement.setLong(1, round));
    }

    /** Events past the group's cursor: those in rounds, and those committed since the last round. */
    long backlog(Connection c, String group) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("""
                WITH last AS (SELECT snapshot, first_position + events - 1 AS end_position FROM %1$s.rounds
                              ORDER BY round DESC LIMIT 1)
                SELECT greatest(last.end_position - g.cursor, 0)
                       + (SELECT count(*) FROM %1$s.events e
                          WHERE e.xid >= pg_snapshot_xmin(last.snapshot)
                            AND NOT pg_visible_in_snapshot(e.xid, last.snapshot))
                FROM last, %1$s.groups g WHERE g.name = ?""".formatted(s))) {
            statement.setQueryTimeout(5);
            statement.setString(1, group);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** A dead letter: an event given up on, as the group's subscription got it. */
    record DeadLetter(String subscription, String position, String table, String operation, String row,
            String error) {

        static DeadLetter of(String subscription, ChangeEvent event, Throwable error) {
            return new DeadLetter(subscription, event.position().toString(), event.table().toString(),
                    event.operation().name(), event.row() == null ? null : event.row().toString(),
                    String.valueOf(error));
        }
    }

    /**
     * Records dead letters, each unless the group's subscription already has one for that position and operation:
     * an event given up on is given up on again when it comes again (after a restart, before the cursor passed it).
     * A key change split into a delete and an insert shares its position.
     */
    void insertDeadLetters(Connection c, String group, List<DeadLetter> letters) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("""
                WITH letter (grp, subscription, position, table_name, operation, row_data, error) AS (
                    VALUES (?, ?, ?, ?, ?, ?, ?))
                INSERT INTO %1$s.dead_letters (grp, subscription, position, table_name, operation, row_data, error)
                SELECT * FROM letter WHERE NOT EXISTS (
                    SELECT FROM %1$s.dead_letters d
                    WHERE d.grp = letter.grp AND d.subscription = letter.subscription
                      AND d.position = letter.position AND d.operation = letter.operation)""".formatted(s))) {
            for (DeadLetter letter : letters) {
                insert.setString(1, group);
                insert.setString(2, letter.subscription());
                insert.setString(3, letter.position());
                insert.setString(4, letter.table());
                insert.setString(5, letter.operation());
                insert.setString(6, letter.row());
                insert.setString(7, letter.error());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Arms an idle consumer's wake-up: true once no writer is between its check of the lock and its commit. */
    boolean arm(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_try_advisory_lock(" + schema.wakeUpLockKey() + ")")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    void disarm(Connection c) throws SQLException {
        try (Statement statement = c.createStatement()) {
            statement.execute("SELECT pg_advisory_unlock(" + schema.wakeUpLockKey() + ")");
        }
    }

    void listen(Connection c, boolean listening) throws SQLException {
        try (Statement statement = c.createStatement()) {
            statement.execute((listening ? "LISTEN " : "UNLISTEN ") + TableName.quote(schema.channel()));
        }
    }

    /**
     * Appends a snapshot chunk's watermark to the event table (relation 0, operation {@code W}, the token as its
     * body), and wakes the consumers, in one statement: it is read in commit order with the events.
     */
    void insertWatermark(Connection c, String token) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("WITH watermark AS (INSERT INTO " + s + ".events (xid,"
                + " relid, op, stamp, body) VALUES (pg_catalog.pg_current_xact_id(), 0, '" + WATERMARK_OP + "',"
                + " pg_catalog.statement_timestamp(), ?)) SELECT pg_catalog.pg_notify(?, '')")) {
            statement.setString(1, token);
            statement.setString(2, schema.channel());
            statement.execute();
        }
    }

    /** Wakes the other groups' consumers of this schema. */
    void wakeUp(Connection c) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT pg_notify(?, '')")) {
            statement.setString(1, schema.channel());
            statement.execute();
        }
    }

    int maxPreparedTransactions(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT current_setting('max_prepared_transactions')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
