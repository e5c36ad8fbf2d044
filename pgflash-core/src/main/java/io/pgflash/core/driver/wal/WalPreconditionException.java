package io.pgflash.core.driver.wal;

import io.pgflash.core.PgFlashException;

/** The database does not allow logical replication as configured; the message says what to change. */
public class WalPreconditionException extends PgFlashException {

    public WalPreconditionException(String message) {
        super(message);
    }

    public WalPreconditionException(String message, Throwable cause) {
        super(message, cause);
    }
}
