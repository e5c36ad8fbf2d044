package io.pgflash.spring.listener;

import io.pgflash.core.PgFlashException;

/** A {@code @PgChangeListener} method that cannot work as declared; the message names the method and the fix. */
public class InvalidListenerException extends PgFlashException {

    public InvalidListenerException(String message) {
        super(message);
    }

    public InvalidListenerException(String message, Throwable cause) {
        super(message, cause);
    }
}
