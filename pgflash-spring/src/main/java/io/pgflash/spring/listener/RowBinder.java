package io.pgflash.spring.listener;

import io.pgflash.core.NonRetryable;
import io.pgflash.core.Row;
import io.pgflash.spring.annotation.PgColumn;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.util.PGInterval;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeanWrapper;
import org.springframework.beans.PropertyAccessorFactory;
import org.springframework.core.MethodParameter;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.util.ReflectionUtils;

/**
 * Binds a row to a record (through its canonical constructor) or a JavaBean (through its setters), matching each
 * component or property by name or by its snake_case form ({@code authorId} reads column {@code author_id}), or by
 * the column its {@link PgColumn} names, and
 * converting values with a {@link ConversionService}. Columns without a matching property are ignored; properties
 * without a column, or whose column is NULL, keep their default. The reflective work is done once per type.
 */
final class RowBinder {

    private final ConversionService conversionService;
    private final Map<Class<?>, Plan> plans = new ConcurrentHashMap<>();

    RowBinder(ConversionService conversionService) {
        this.conversionService = conversionService;
    }

    /** Whether {@code type} can be bound (a record, or a concrete class with a no-argument constructor). */
    static boolean canBind(Class<?> type) {
        if (type.isRecord()) {
            return true;
        }
        if (type.isPrimitive() || type.isInterface() || type.isArray() || Modifier.isAbstract(type.getModifiers())
                || type.getName().startsWith("java.")) {
            return false;
        }
        try {
            type.getDeclaredConstructor();
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    <T> T bind(Row row, Class<T> type) {
        if (row == null) {
            return null;
        }
        try {
            return type.cast(plans.computeIfAbsent(type, this::plan).bind(row));
        } catch (RuntimeException e) {
            if (e instanceof NonRetryable) {
                throw e;
            }
            throw new RowBindingException("A row with columns " + row.columns() + " cannot be bound to " + type.getName() + ": "
                    + e.getMessage(), e);
        }
    }

    private Plan plan(Class<?> type) {
        return type.isRecord() ? recordPlan(type) : beanPlan(type);
    }

    private Plan recordPlan(Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] parameterTypes = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            parameterTypes[i] = components[i].getType();
        }
        Constructor<?> constructor;
        try {
            constructor = type.getDeclaredConstructor(parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("Record " + type.getName() + " has no canonical constructor", e);
        }
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < components.length; i++) {
            slots.add(Slot.of(components[i].getName(), components[i].getAnnotation(PgColumn.class), parameterTypes[i],
                    new TypeDescriptor(new MethodParameter(constructor, i))));
        }
        return row -> {
            Object[] arguments = new Object[slots.size()];
            for (int i = 0; i < arguments.length; i++) {
                Slot slot = slots.get(i);
                Object value = slot.value(row);
                arguments[i] = value == null ? defaultValue(slot.type) : slot.convert(value, conversionService);
            }
            return BeanUtils.instantiateClass(constructor, arguments);
        };
    }

    private Plan beanPlan(Class<?> type) {
        List<Slot> slots = new ArrayList<>();
        BeanWrapper probe = PropertyAccessorFactory.forBeanPropertyAccess(BeanUtils.instantiateClass(type));
        for (var descriptor : probe.getPropertyDescriptors()) {
            if (probe.isWritableProperty(descriptor.getName())) {
                slots.add(Slot.of(descriptor.getName(), beanColumn(type, descriptor), descriptor.getPropertyType(),
                        null));
            }
        }
        return row -> {
            Object bean = BeanUtils.instantiateClass(type);
            BeanWrapper wrapper = PropertyAccessorFactory.forBeanPropertyAccess(bean);
            wrapper.setConversionService(conversionService);
            for (Slot slot : slots) {
                Object value = slot.value(row);
                if (value != null) {
                    try {
                        wrapper.setPropertyValue(slot.name, value);
                    } catch (RuntimeException e) {
                        throw slot.notConverted(e);
                    }
                }
            }
            return bean;
        };
    }

    /** The property's {@link PgColumn}, on its setter or on a field of its name. */
    private static PgColumn beanColumn(Class<?> type, PropertyDescriptor descriptor) {
        PgColumn onSetter = descriptor.getWriteMethod().getAnnotation(PgColumn.class);
        if (onSetter != null) {
            return onSetter;
        }
        Field field = ReflectionUtils.findField(type, descriptor.getName());
        return field == null ? null : field.getAnnotation(PgColumn.class);
    }

    private static String snakeCase(String property) {
        return property.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** null, or the zero of a primitive type. */
    private static Object defaultValue(Class<?> type) {
        return type.isPrimitive() ? Array.get(Array.newInstance(type, 1), 0) : null;
    }

    @FunctionalInterface
    private interface Plan {
        Object bind(Row row);
    }

    /**
     * A property or component: its name, its column ({@link PgColumn}'s, read only, or its snake_case form, read when
     * no column has the name itself), its type. A column whose value was not sent
     * (unchanged TOAST) is not bound as null: {@link Row#get} refuses it, saying why and what to change.
     */
    private record Slot(String name, String column, boolean named, Class<?> type, TypeDescriptor target) {

        static Slot of(String name, PgColumn column, Class<?> type, TypeDescriptor target) {
            return column != null ? new Slot(name, column.value(), true, type, target)
                    : new Slot(name, snakeCase(name), false, type, target);
        }
        Object value(Row row) {
            if (!named && (row.contains(name) || row.isUnchanged(name))) {
                return row.get(name);
            }
            return row.contains(column) || row.isUnchanged(column) ? row.get(column) : null;
        }

        Object convert(Object value, ConversionService conversionService) {
            try {
                if (value instanceof PGInterval interval && type == Duration.class) {
                    return duration(interval); // Spring has no converter for pgjdbc's type
                }
                return conversionService.convert(value, TypeDescriptor.forObject(value), target);
            } catch (RuntimeException e) {
                throw notConverted(e);
            }
        }

        /** An interval of days and time as a {@code Duration}, a day as 24 hours; months and years have no fixed length. */
        private static Duration duration(PGInterval interval) {
            if (interval.getYears() != 0 || interval.getMonths() != 0) {
                throw new IllegalArgumentException("the interval " + interval.getValue() + " has months or years,"
                        + " which have no fixed length; bind it to PGInterval");
            }
            return Duration.ofDays(interval.getDays()).plusHours(interval.getHours())
                    .plusMinutes(interval.getMinutes()).plusSeconds(interval.getWholeSeconds())
                    .plusNanos(interval.getMicroSeconds() * 1000L);
        }

        /** The conversion's failure, naming the property and its column, which Spring's message does not. */
        IllegalArgumentException notConverted(RuntimeException e) {
            return new IllegalArgumentException("'" + name + "' (" + type.getSimpleName() + ", from column '" + column
                    + "'): " + e.getMessage(), e);
        }
    }
}
