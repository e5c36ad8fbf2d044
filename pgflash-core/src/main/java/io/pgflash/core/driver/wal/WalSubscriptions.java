package io.pgflash.core.driver.wal;

import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.OldRowsUnavailableException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the WAL can give a subscription, checked when it subscribes: it never sends generated columns, and it sends
 * whole old rows only for tables with {@code REPLICA IDENTITY FULL}. A subscription that needs more is refused with the
 * fix, rather than getting other events than the trigger driver would give it.
 */
final class WalSubscriptions {

    private WalSubscriptions() {
    }

    /** @param replicaIdentityFull whether the driver sets FULL on the tables it publishes */
    static void check(SubscriptionSpec spec, TableMetadata table, boolean replicaIdentityFull) {
        List<String> used = new ArrayList<>(spec.columns());
        used.addAll(spec.key().isEmpty() ? table.primaryKey() : spec.key());
        spec.conditions().forEach(condition -> used.add(condition.column()));
        for (String name : used) {
            if (table.column(name).map(Column::generated).orElse(false)) {
                throw new PgFlashException("Column " + name + " of " + table.name() + " is a generated column, which"
                        + " logical replication does not send, so the WAL driver cannot filter on it, key by it or"
                        + " deliver it: use the columns it is computed from, or the trigger driver");
            }
        }
        List<String> oldRowUses = new ArrayList<>(spec.oldRowUses());
        List<String> key = spec.key().isEmpty() ? table.primaryKey() : spec.key();
        if (spec.operations().contains(Operation.DELETE) && !table.replicaIdentityColumns().containsAll(key)) {
            // a DELETE's old row holds only the replica identity's columns: without them it would come keyless
            oldRowUses.add("a key (" + String.join(", ", key) + ") that its replica identity's old rows do not"
                    + " carry");
        }
        if (!oldRowUses.isEmpty() && table.replicaIdentity() != 'f' && !replicaIdentityFull) {
            // without FULL, an UPDATE's old row is missing and a DELETE's holds only the key: a filter could not tell
            // rows entering or leaving it, nor partial fields which columns changed
            throw new OldRowsUnavailableException(table.name(), "The subscription on " + table.name() + " needs the"
                    + " whole old row of UPDATE and DELETE (for " + String.join(", ", oldRowUses) + "), but the WAL"
                    + " carries it only for tables with REPLICA IDENTITY FULL, and " + table.name() + " has "
                    + replicaIdentityName(table.replicaIdentity()) + ". Have the table's owner run ALTER TABLE "
                    + table.name().quoted() + " REPLICA IDENTITY FULL, or let pgflash set it"
                    + " (WalDriver.Builder.replicaIdentityFull(true); in Spring pgflash.wal.replica-identity-full=true)");
        }
    }

    private static String replicaIdentityName(char identity) {
        return switch (identity) {
            case 'd' -> "REPLICA IDENTITY DEFAULT (old rows of only the primary key)";
            case 'i' -> "REPLICA IDENTITY USING INDEX (old rows of only that index's columns)";
            case 'n' -> "REPLICA IDENTITY NOTHING (no old rows)";
            default -> "REPLICA IDENTITY " + identity;
        };
    }
}
