package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlashException;
import java.sql.SQLException;
import io.pgflash.core.driver.OldRowsUnavailableException;
import io.pgflash.core.driver.wal.SlotTakenException;
import io.pgflash.core.driver.wal.WalPreconditionException;
import io.pgflash.spring.listener.InvalidListenerException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns pgflash's start-up failures into what is wrong and what to set, instead of a stack trace. */
class PgFlashFailureAnalyzer extends AbstractFailureAnalyzer<PgFlashException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PgFlashException cause) {
        SQLException unreachable = connectionFailure(rootFailure);
        if (unreachable != null) {
            return new FailureAnalysis("pgflash could not connect to the database: " + unreachable.getMessage(),
                    "Check the connection pgflash uses, which it opens on its own: spring.datasource.url,"
                            + " spring.datasource.username and spring.datasource.password (or pgflash.connection.*"
                            + " when set). Make sure PostgreSQL runs and accepts this login there.", cause);
        }
        // a server the WAL driver cannot use may be found when the first listener subscribes: it is not the listener's
        WalPreconditionException precondition = findCause(rootFailure, WalPreconditionException.class);
        if (precondition != null) {
            cause = precondition;
        }
        String action;
        OldRowsUnavailableException oldRows = findCause(rootFailure, OldRowsUnavailableException.class);
        if (oldRows != null) {
            action = "Set pgflash.wal.replica-identity-full=true (pgflash then sets REPLICA IDENTITY FULL on the"
                    + " subscribed tables: more WAL per UPDATE and DELETE), or have the owner of " + oldRows.table()
                    + " run ALTER TABLE " + oldRows.table().quoted() + " REPLICA IDENTITY FULL; or use"
                    + " pgflash.driver=trigger, whose rows are always whole.";
        } else if (cause instanceof SlotTakenException) {
            action = "Give this application's consumer group a replication slot of its own: set pgflash.group (its"
                    + " slot is then pgflash_<group>) or pgflash.wal.slot-name to a name no other database or consumer"
                    + " of this server uses.";
        } else if (cause instanceof WalPreconditionException) {
            action = "Do as the description says (a server setting, a right of the role, a slot), or set"
                    + " pgflash.driver=trigger, which needs no replication rights (it needs CREATE on the database and"
                    + " ownership of the tables).";
        } else if (cause instanceof InvalidListenerException) {
            action = "Fix the @PgChangeListener annotation or method named in the description.";
        } else {
            action = "Fix the pgflash configuration (pgflash.* and spring.datasource.* properties) or the database as"
                    + " the description says.";
        }
        return new FailureAnalysis("pgflash could not start: " + cause.getMessage(), action, cause);
    }

    /**
     * The failure to reach or log in to the server in the causes, if that is what happened (SQLSTATE classes 08,
     * connection exception, and 28, invalid authorization; 3D000, no such database).
     */
    private static SQLException connectionFailure(Throwable failure) {
        for (Throwable each = failure; each != null; each = each.getCause()) {
            if (each instanceof SQLException sql && sql.getSQLState() != null && (sql.getSQLState().startsWith("08")
                    || sql.getSQLState().startsWith("28") || sql.getSQLState().equals("3D000"))) {
                return sql;
            }
        }
        return null;
    }
}
