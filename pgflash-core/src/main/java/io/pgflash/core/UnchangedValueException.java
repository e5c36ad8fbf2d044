package io.pgflash.core;

/**
 * A column read from a {@link Row} whose value the driver did not receive (an unchanged TOASTed value of an UPDATE
 * under the WAL's default replica identity): it will not arrive on a retry either.
 */
public class UnchangedValueException extends IllegalStateException implements NonRetryable {

    public UnchangedValueException(String message) {
        super(message);
    }
}
