package io.pgflash.spring.annotation;

import io.pgflash.core.Operation;
import io.pgflash.core.SnapshotMode;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.aot.hint.annotation.Reflective;
import org.springframework.core.annotation.AliasFor;

/**
 * Makes a bean method receive changes of a table.
 *
 * <pre>{@code
 * @PgChangeListener(value = "posts", ops = Operation.INSERT, filter = "status=eq.published")
 * void onPublished(Post post) { ... }
 * }</pre>
 * Parameters are resolved by type: {@code ChangeEvent}, {@code Operation}, {@code Row} (the event's row),
 * {@code TableName}, {@code @OldRow} (the old row, as {@code Row} or bound to a type), one parameter of any other type
 * bound from the row (the new row, or the old one for DELETE) by column name ({@code author_id} fills
 * {@code authorId}) with Spring's conversion service, or a single {@code List<ChangeEvent>} for a batch listener.
 * String attributes accept property placeholders ({@code ${...}}).
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective(PgChangeListenerReflectiveProcessor.class)
@Repeatable(PgChangeListeners.class)
public @interface PgChangeListener {

    /** The table, in SQL syntax: {@code posts}, {@code app.posts}, {@code "My Table"}. */
    @AliasFor("table")
    String value() default "";

    @AliasFor("value")
    String table() default "";

    /** The operations to deliver; all when empty. */
    Operation[] ops() default {};

    /** Partial fields: deliver an UPDATE only when one of these columns changed; rows carry only them and the key. */
    String[] columns() default {};

    /** Conditions in the PostgREST form, combined with AND: {@code "status=eq.published"}, {@code "id=in.(1,2)"}. */
    String[] filter() default {};

    /** The key columns; the primary key when empty. */
    String[] key() default {};

    /** Deliver an UPDATE that changes the key as DELETE then INSERT. */
    boolean splitKeyChanges() default false;

    /**
     * Start with the table's current rows (as {@code READ} events, through the filter), then the changes after them;
     * none by default. A {@code PgChangeListenerSnapshot} application event marks its start and its end.
     */
    SnapshotMode snapshot() default SnapshotMode.NONE;

    /** A unique id for the registry, logs and metrics; defaults to the bean and method name. */
    String id() default "";

    /** Whether the listener starts with the application ({@code "true"}/{@code "false"} or a placeholder). */
    String autoStartup() default "true";

    /** Delivery threads; events of one key stay in order. A number or a placeholder; 1 when empty. */
    String concurrency() default "";

    /** Attempts in all before giving up on an event; the {@code pgflash.error.max-attempts} property when empty. */
    String maxAttempts() default "";

    /** The name of a {@code Recoverer} bean that takes events still failing; log and skip when empty. */
    String recoverer() default "";
}
