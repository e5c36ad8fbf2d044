package io.pgflash.core.driver.wal;

import io.pgflash.core.PgFlashException;
import io.pgflash.core.TableName;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.SnapshotCheckpoints;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database side of the WAL driver: checks that logical replication is possible, and keeps the slot and the
 * publication. pgflash changes only a publication it created (marked by its comment); an existing slot is resumed,
 * never dropped or recreated unless asked.
 */
final class WalSetup {

    /** A table's {@code pg_class} row {@code c}, and its partitions' (parameters: the table's oid, twice). */
    private static final String TABLE_AND_PARTITIONS = "(c.oid = ? OR c.oid IN (SELECT relid FROM"
            + " pg_partition_tree(?::oid::regclass)))";

    private static final Logger log = LoggerFactory.getLogger(WalSetup.class);
    static final String MANAGED_COMMENT = "managed by pgflash";

    private final String slot;
    private final String publication;
    private final SnapshotCheckpoints checkpoints;

    /**
     * @param slot a replication slot name: PostgreSQL allows lower-case letters, digits and underscores, and the
     *        replication protocol takes it unquoted, so nothing else may pass
     * @param publication any identifier; quoted wherever it is used
     * @param stateSchema the schema of the table that keeps the group's snapshot checkpoints
     */
    WalSetup(String slot, String publication, String stateSchema) {
        if (slot == null || !slot.matches("[a-z0-9_]{1,63}")) {
            throw new IllegalArgumentException("WAL slot name '" + slot + "' must be 1 to 63 lower-case letters,"
                    + " digits or underscores (PostgreSQL's rule for replication slots)");
        }
        if (publication == null || publication.isEmpty() || publication.indexOf('\0') >= 0
                || publication.getBytes(StandardCharsets.UTF_8).length > 63) {
            throw new IllegalArgumentException("WAL publication name '" + publication
                    + "' must be 1 to 63 bytes long, without NUL characters");
        }
        if (stateSchema == null || stateSchema.isEmpty() || stateSchema.indexOf('\0') >= 0
                || stateSchema.getBytes(StandardCharsets.UTF_8).length > 63) {
            throw new IllegalArgumentException("WAL state schema name '" + stateSchema
                    + "' must be 1 to 63 bytes long, without NUL characters");
        }
        this.slot = slot;
        this.publication = publication;
        this.checkpoints = new SnapshotCheckpoints(stateSchema, "wal:" + slot);
    }

    /** Where the group's snapshots keep their places: forgotten whenever the slot is created anew. */
    SnapshotCheckpoints checkpoints() {
        return checkpoints;
    }

    String slot() {
        return slot;
    }

    String publication() {
        return publication;
    }

    /**
     * The publication as pgoutput's {@code publication_names} option wants it: a quoted identifier (kept as written,
     * commas and all) inside the replication command's single-quoted string (pgjdbc adds the outer quotes and escapes
     * nothing, so single quotes are doubled here).
     */
    String publicationOption() {
        return TableName.quote(publication).replace("'", "''");
    }

    /**
     * wal_level, the REPLICATION attribute and, while the publication is still to be made, CREATE on the database:
     * each with the fix in the message, all before anything is made.
     */
    void checkPreconditions(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT current_setting('wal_level'),"
                + " current_user,"
                // managed services grant replication through a role (Amazon RDS: rds_replication)
                + " (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user)"
                + " OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'rds_replication'"
                + " AND pg_has_role(current_user, r.oid, 'member')),"
                + " current_database(), has_database_privilege(current_database(), 'CREATE')"
                + " OR EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ?)")) {
            statement.setString(1, publication);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                String role = rs.getString(2);
                if (!rs.getString(1).equals("logical")) {
                    throw new WalPreconditionException("wal_level is '" + rs.getString(1) + "' but the WAL driver"
                            + " needs 'logical': run ALTER SYSTEM SET wal_level = logical and restart PostgreSQL (on"
                            + " a managed service, enable logical replication in its settings), or use the trigger"
                            + " driver");
                }
                if (!rs.getBoolean(3)) {
                    throw new WalPreconditionException("Role " + role + " lacks the REPLICATION attribute the WAL"
                            + " driver needs: run ALTER ROLE " + TableName.quote(role) + " REPLICATION (on a managed"
                            + " service, grant its replication role), or use the trigger driver");
                }
                if (!rs.getBoolean(5)) {
                    String database = rs.getString(4);
                    throw new WalPreconditionException("Role " + role + " may not create publication " + publication
                            + ": creating one takes CREATE on database " + database + ". Run GRANT CREATE ON DATABASE "
                            + TableName.quote(database) + " TO " + TableName.quote(role) + ", or have a role with that"
                            + " right that owns the tables (or a superuser) create a publication of them and name it in"
                            + " publicationName (in Spring pgflash.wal.publication-name)");
                }
            }
        }
    }

    /** Creates the publication (empty, marked as pgflash's) unless it exists; returns whether it created it. */
    boolean ensurePublication(Connection connection) throws SQLException {
        if (publicationExists(connection)) {
            return false;
        }
        try (Statement statement = connection.createStatement()) {
            // partitions publish as their root table, as the trigger driver sees them
            statement.execute("CREATE PUBLICATION " + TableName.quote(publication)
                    + " WITH (publish_via_partition_root = true)");
            statement.execute("COMMENT ON PUBLICATION " + TableName.quote(publication) + " IS '" + MANAGED_COMMENT + "'");
        }
        log.info("Created publication {}", publication);
        return true;
    }

    private boolean publicationExists(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            statement.setString(1, publication);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Creates the slot unless it exists; an existing one is resumed. Fails clearly when another process streams from
     * it or when no slot is free. Returns whether it created the slot.
     */
    boolean ensureSlot(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT plugin, active, active_pid, database = current_database(), database FROM pg_replication_slots"
                        + " WHERE slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet rs = statement.executeQuery()) {
                if (rs.next()) {
                    if (rs.getString(5) == null) {
                        throw new SlotTakenException("Replication slot " + slot + " is a physical slot (a standby"
                                + " server's?): give this group a slot of its own, with another group name or slot name"
                                + " (pgflash never drops a slot it did not make)");
                    }
                    if (!rs.getBoolean(4)) {
                        throw new SlotTakenException("Replication slot " + slot + " belongs to database "
                                + rs.getString(5) + " of this server, not to this one (an application with the same"
                                + " consumer group name there?): give this group a slot of its own, with another group"
                                + " name or slot name (pgflash never drops a slot it did not make)");
                    }
                    if (!"pgoutput".equals(rs.getString(1))) {
                        throw new SlotTakenException("Replication slot " + slot + " exists but uses the plugin "
                                + rs.getString(1) + ", not pgoutput: give this group a slot of its own, with another"
                                + " group name or slot name (pgflash never drops a slot it did not make)");
                    }
                    if (rs.getBoolean(2)) {
                        // this instance holds the group's turn: the process is most likely a reader of this group
                        // that went away without closing its connection, which the server ends after
                        // wal_sender_timeout; renaming the slot would leave this one holding WAL
                        throw new WalPreconditionException("Replication slot " + slot + " is in use by process "
                                + rs.getInt(3) + ": most likely a reader of this group that went away"
                                + " without closing its connection, which the server ends after wal_sender_timeout"
                                + " (60 s by default); start again after that, or end it now with SELECT"
                                + " pg_terminate_backend(" + rs.getInt(3) + "). If it is another consumer, stop it:"
                                + " the slot is this group's");
                    }
                    log.info("Resuming replication slot {}", slot);
                    return false;
                }
            }
        }
        // a new slot starts a new copy: snapshots of the slot before are not continued by it (forgotten first, so a
        // crash between the two cannot leave the new slot with the old slot's checkpoints)
        checkpoints.clear(connection);
        try (PreparedStatement create = connection.prepareStatement(
                "SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            create.setString(1, slot);
            create.execute();
            log.info("Created replication slot {}", slot);
            return true;
        } catch (SQLException e) {
            if ("53400".equals(e.getSQLState())) {
                throw new WalPreconditionException("No free replication slot for " + slot + ": all "
                        + "max_replication_slots are in use. Drop an unused slot (SELECT pg_drop_replication_slot(name)"
                        + " FROM pg_replication_slots WHERE NOT active) or raise max_replication_slots and restart", e);
            }
            throw e;
        }
    }

    /** Adds the table to or removes it from the publication, if pgflash manages the publication. */
    void publish(Connection connection, TableMetadata table, boolean include) throws SQLException {
        boolean managed;
        boolean allTables;
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT obj_description(oid, 'pg_publication') = ?, puballtables FROM pg_publication WHERE pubname = ?")) {
            statement.setString(1, MANAGED_COMMENT);
            statement.setString(2, publication);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    throw new PgFlashException("Publication " + publication + " no longer exists; restart pgflash to"
                            + " create it");
                }
                managed = rs.getBoolean(1);
                allTables = rs.getBoolean(2);
            }
        }
        boolean published = allTables || isPublished(connection, table);
        if (include == published) {
            return;
        }
        if (!managed || allTables) {
            if (include) {
                throw new PgFlashException("Table " + table.name() + " is not in publication " + publication
                        + ", which pgflash did not create and does not change: run ALTER PUBLICATION "
                        + TableName.quote(publication) + " ADD TABLE " + table.name().quoted());
            }
            return;
        }
        if (include) {
            requireReplicaIdentity(connection, table);
        }
        // ONLY: an inheritance child is a table of its own, which another subscription may publish (a partitioned
        // table's partitions are published with it all the same)
        try (Statement statement = connection.createStatement()) {
            statement.execute("ALTER PUBLICATION " + TableName.quote(publication) + (include ? " ADD" : " DROP")
                    + " TABLE ONLY " + table.name().quoted());
        }
    }

    /**
     * Refuses to publish a table (or a partition of it) without a replica identity: PostgreSQL would then refuse every
     * UPDATE and DELETE on it, from every writer. Read now, after FULL was set if pgflash sets it.
     */
    private void requireReplicaIdentity(Connection connection, TableMetadata table) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT format('%I.%I', n.nspname, c.relname), c.relreplident FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE " + TABLE_AND_PARTITIONS + " AND c.relkind = 'r' AND (c.relreplident = 'n'"
                        + " OR (c.relreplident = 'd'"
                        + " AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))"
                        // USING INDEX whose index was dropped since: PostgreSQL then finds no identity either
                        + " OR (c.relreplident = 'i' AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid"
                        + " AND i.indisreplident))) LIMIT 1")) {
            statement.setLong(1, table.oid());
            statement.setLong(2, table.oid());
            try (ResultSet rs = statement.executeQuery()) {
                if (rs.next()) {
                    String lacking = rs.getString(1);
                    throw new WalPreconditionException("Table " + lacking + " has no replica identity ("
                            + identityLack(rs.getString(2))
                            + "), and once it is in publication " + publication + " PostgreSQL refuses every UPDATE"
                            + " and DELETE on it, from every writer: give it a primary key, or have its owner run"
                            + " ALTER TABLE " + lacking + " REPLICA IDENTITY FULL (or USING INDEX on a unique index),"
                            + " or let pgflash set FULL (WalDriver.Builder.replicaIdentityFull(true); in Spring"
                            + " pgflash.wal.replica-identity-full=true)");
                }
            }
        }
    }

    /**
     * Whether the publication has the table: listed (a partitioned table too, whose partitions the publication then
     * shows), or through its schema ({@code FOR TABLES IN SCHEMA}).
     */
    private boolean isPublished(Connection connection, TableMetadata table) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT 1 FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid"
                        + " WHERE p.pubname = ? AND r.prrelid = ?"
                        + " UNION ALL SELECT 1 FROM pg_publication_tables"
                        + " WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
            statement.setString(1, publication);
            statement.setLong(2, table.oid());
            statement.setString(3, publication);
            statement.setString(4, table.name().schema());
            statement.setString(5, table.name().name());
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Asks for the whole old row in UPDATE and DELETE events (the user opted in): on the table, and on each partition
     * of a partitioned one, whose old rows are its partitions' (ALTER TABLE does not pass it down).
     */
    void useFullReplicaIdentity(Connection connection, TableMetadata table) throws SQLException {
        if (table.replicaIdentity() == 'f') {
            return;
        }
        List<String> tables = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE " + TABLE_AND_PARTITIONS + " AND c.relreplident <> 'f'"
                        + " AND c.relkind IN ('r', 'p')")) {
            statement.setLong(1, table.oid());
            statement.setLong(2, table.oid());
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        try (Statement statement = connection.createStatement()) {
            for (String each : tables) {
                statement.execute("ALTER TABLE " + each + " REPLICA IDENTITY FULL");
            }
        }
        log.info("Set REPLICA IDENTITY FULL on {} as configured", tables);
    }

    private static String identityLack(String identity) {
        return switch (identity) {
            case "n" -> "REPLICA IDENTITY NOTHING";
            case "i" -> "the index of its REPLICA IDENTITY USING INDEX was dropped";
            default -> "no primary key";
        };
    }

    SlotStatus status(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,"
                        + " confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setQueryTimeout(5); // health checks must not hang on a stuck server
            statement.setString(1, slot);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return new SlotStatus(slot, false, false, 0, null);
                }
                String confirmed = rs.getString(3);
                return new SlotStatus(slot, true, rs.getBoolean(1), rs.getLong(2),
                        confirmed == null ? null : Lsn.parse(confirmed));
            }
        }
    }

    /** Drops the slot and, if pgflash made it, the publication; an explicit action, never a side effect of stopping. */
    void drop(Connection connection) throws SQLException {
        dropSlot(connection);
        dropPublication(connection);
        log.info("Dropped replication slot {} and publication {}", slot, publication);
    }

    void dropSlot(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, slot);
            statement.execute();
        }
    }

    /** Drops the publication if pgflash made it (marked by its comment). */
    void dropPublication(Connection connection) throws SQLException {
        boolean managed;
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT 1 FROM pg_publication WHERE pubname = ? AND obj_description(oid, 'pg_publication') = ?")) {
            statement.setString(1, publication);
            statement.setString(2, MANAGED_COMMENT);
            try (ResultSet rs = statement.executeQuery()) {
                managed = rs.next();
            }
        }
        if (managed) {
            try (Statement drop = connection.createStatement()) {
                drop.execute("DROP PUBLICATION " + TableName.quote(publication));
            }
        }
    }
}
