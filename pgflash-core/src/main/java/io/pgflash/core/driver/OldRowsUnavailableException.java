package io.pgflash.core.driver;

import io.pgflash.core.PgFlashException;
import io.pgflash.core.TableName;

/**
 * A subscription needs whole old rows of a table whose changes a driver reads without them (the WAL of a table
 * without {@code REPLICA IDENTITY FULL}); refused rather than delivering other events than on another driver.
 */
public class OldRowsUnavailableException extends PgFlashException {

    private final TableName table;

    public OldRowsUnavailableException(TableName table, String message) {
        super(message);
        this.table = table;
    }

    /** The table whose old rows are missing. */
    public TableName table() {
        return table;
    }
}
