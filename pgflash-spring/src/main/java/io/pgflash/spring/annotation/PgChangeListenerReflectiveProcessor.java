package io.pgflash.spring.annotation;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import io.pgflash.core.TableName;
import java.lang.reflect.Method;
import java.util.List;
import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.ReflectionHints;
import org.springframework.aot.hint.annotation.SimpleReflectiveProcessor;

/**
 * The reflection a {@code @PgChangeListener} method needs in a native image, found at build time by Spring's AOT
 * processing: the method is invoked, and the record or JavaBean its row (or {@code @OldRow}) is bound to is
 * constructed and filled, with the types of its components or properties.
 */
class PgChangeListenerReflectiveProcessor extends SimpleReflectiveProcessor {

    private static final List<Class<?>> RESOLVED_WITHOUT_BINDING = List.of(ChangeEvent.class, Operation.class,
            TableName.class, Row.class, List.class);

    private final BindingReflectionHintsRegistrar bindings = new BindingReflectionHintsRegistrar();

    @Override
    protected void registerMethodHint(ReflectionHints hints, Method method) {
        super.registerMethodHint(hints, method);
        for (Class<?> type : method.getParameterTypes()) {
            if (!RESOLVED_WITHOUT_BINDING.contains(type) && !type.isPrimitive() && !type.getName().startsWith("java.")) {
                hints.registerType(type, MemberCategory.INVOKE_DECLARED_CONSTRUCTORS, MemberCategory.DECLARED_FIELDS,
                        MemberCategory.INVOKE_PUBLIC_METHODS);
                bindings.registerReflectionHints(hints, type);
            }
        }
    }
}
