package io.pgflash.core;

/** A pgflash failure whose message says what is wrong and what to change. */
public class PgFlashException extends RuntimeException {

    public PgFlashException(String message) {
        super(message);
    }

    public PgFlashException(String message, Throwable cause) {
        super(message, cause);
    }
}
