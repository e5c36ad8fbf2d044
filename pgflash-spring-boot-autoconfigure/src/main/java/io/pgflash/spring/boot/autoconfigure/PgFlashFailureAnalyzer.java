package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlashException;
import io.pgflash.core.driver.wal.WalPreconditionException;
import io.pgflash.spring.listener.InvalidListenerException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns pgflash's start-up failures into what is wrong and what to set, instead of a stack trace. */
class PgFlashFailureAnalyzer extends AbstractFailureAnalyzer<PgFlashException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PgFlashException cause) {
        String action;
        if (cause instanceof WalPreconditionException) {
            action = "Change the database or role as the description says, or set pgflash.driver=trigger, which needs"
                    + " no replication rights.";
        } else if (cause instanceof InvalidListenerException) {
            action = "Fix the @PgChangeListener annotation or method named in the description.";
        } else {
            action = "Fix the pgflash configuration (pgflash.* and spring.datasource.* properties) or the database as"
                    + " the description says.";
        }
        return new FailureAnalysis("pgflash could not start: " + cause.getMessage(), action, cause);
    }
}
