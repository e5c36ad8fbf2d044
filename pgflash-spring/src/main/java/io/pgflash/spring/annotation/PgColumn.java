package io.pgflash.spring.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The column a record component or JavaBean property (on its field or setter) is bound from, as the database spells
 * it, for a name that neither the component's name nor its snake_case form gives: {@code @PgColumn("Author Id")}.
 */
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface PgColumn {

    /** The column's name, verbatim. */
    String value();
}
