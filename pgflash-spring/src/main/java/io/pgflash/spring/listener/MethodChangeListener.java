package io.pgflash.spring.listener;

import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.StreamGap;
import io.pgflash.core.TableName;
import io.pgflash.spring.annotation.OldRow;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.core.convert.ConversionService;
import org.springframework.util.ReflectionUtils;

/**
 * Calls a bean's {@code @PgChangeListener} method, resolving its parameters from the event by type. Built once per
 * method, so a signature pgflash cannot serve fails at start-up, naming the method.
 */
public final class MethodChangeListener implements ChangeListener, BatchChangeListener {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MethodChangeListener.class);

    private final Object bean;
    private final Method method;
    private final List<Function<ChangeEvent, Object>> arguments;
    private final boolean batch;
    private final Consumer<StreamGap> gaps;
    private final Consumer<SnapshotNotice> snapshots;
    private final boolean bindsOldRow;
    private final boolean bindsRow;
    private final String listenerId;
    private final ListenerInvocations invocations;

    private MethodChangeListener(Object bean, Method method, List<Function<ChangeEvent, Object>> arguments,
            boolean batch, Consumer<StreamGap> gaps, Consumer<SnapshotNotice> snapshots, boolean bindsOldRow,
            boolean bindsRow) {
        this(bean, method, arguments, batch, gaps, snapshots, bindsOldRow, bindsRow, describe(method),
                ListenerInvocations.DIRECT);
    }

    private MethodChangeListener(Object bean, Method method, List<Function<ChangeEvent, Object>> arguments,
            boolean batch, Consumer<StreamGap> gaps, Consumer<SnapshotNotice> snapshots, boolean bindsOldRow,
            boolean bindsRow, String listenerId, ListenerInvocations invocations) {
        this.bean = bean;
        this.method = method;
        this.arguments = arguments;
        this.batch = batch;
        this.gaps = gaps;
        this.snapshots = snapshots;
        this.bindsOldRow = bindsOldRow;
        this.bindsRow = bindsRow;
        this.listenerId = listenerId;
        this.invocations = invocations;
        ReflectionUtils.makeAccessible(method);
    }

    /** This listener with its calls run through {@code invocations} (an observation each), as {@code listenerId}. */
    public MethodChangeListener invokedThrough(String listenerId, ListenerInvocations invocations) {
        return new MethodChangeListener(bean, method, arguments, batch, gaps, snapshots, bindsOldRow, bindsRow,
                listenerId, invocations);
    }

    /** Checks the method's parameters and prepares how each is resolved; gap notices are logged. */
    public static MethodChangeListener of(Object bean, Method method, ConversionService conversionService) {
        return of(bean, method, conversionService, gap -> { });
    }

    /** Like {@link #of(Object, Method, ConversionService)}, also handing gap notices to {@code gaps}. */
    public static MethodChangeListener of(Object bean, Method method, ConversionService conversionService,
            Consumer<StreamGap> gaps) {
        return of(bean, method, conversionService, gaps, notice -> { });
    }

    /** Like {@link #of(Object, Method, ConversionService, Consumer)}, also handing snapshot notices on. */
    public static MethodChangeListener of(Object bean, Method method, ConversionService conversionService,
            Consumer<StreamGap> gaps, Consumer<SnapshotNotice> snapshots) {
        RowBinder binder = new RowBinder(conversionService);
        int count = method.getParameterCount();
        if (count == 1 && isEventList(new MethodParameter(method, 0))) {
            return new MethodChangeListener(bean, method, List.of(), true, gaps, snapshots, false, false);
        }
        List<Function<ChangeEvent, Object>> arguments = new ArrayList<>();
        boolean rowBound = false;
        boolean oldRowBound = false;
        for (int i = 0; i < count; i++) {
            MethodParameter parameter = new MethodParameter(method, i);
            Class<?> type = parameter.getParameterType();
            if (parameter.hasParameterAnnotation(OldRow.class)) {
                oldRowBound = true;
                arguments.add(rowResolver(type, binder, ChangeEvent::oldRow, method, parameter));
            } else if (type == ChangeEvent.class) {
                arguments.add(event -> event);
            } else if (type == Operation.class) {
                arguments.add(ChangeEvent::operation);
            } else if (type == TableName.class) {
                arguments.add(ChangeEvent::table);
            } else if (type == Row.class) {
                arguments.add(ChangeEvent::row);
            } else if (isEventList(parameter)) {
                throw invalid(method, "a List<ChangeEvent> parameter (batch listener) must be the only parameter");
            } else if (!rowBound && RowBinder.canBind(type)) {
                rowBound = true;
                arguments.add(rowResolver(type, binder, ChangeEvent::row, method, parameter));
            } else {
                throw invalid(method, "parameter " + i + " of type " + type.getName() + " cannot be resolved; use"
                        + " ChangeEvent, Operation, Row, TableName, @OldRow, one record or JavaBean for the row, or a"
                        + " single List<ChangeEvent>");
            }
        }
        return new MethodChangeListener(bean, method, List.copyOf(arguments), false, gaps, snapshots, oldRowBound,
                rowBound);
    }

    private static Function<ChangeEvent, Object> rowResolver(Class<?> type, RowBinder binder,
            Function<ChangeEvent, Row> row, Method method, MethodParameter parameter) {
        if (type == Row.class) {
            return row::apply;
        }
        if (!RowBinder.canBind(type)) {
            throw invalid(method, "parameter " + parameter.getParameterIndex() + " of type " + type.getName()
                    + " cannot hold a row; use Row, a record or a class with a no-argument constructor");
        }
        return event -> binder.bind(row.apply(event), type);
    }

    private static boolean isEventList(MethodParameter parameter) {
        ResolvableType type = ResolvableType.forMethodParameter(parameter);
        return List.class.isAssignableFrom(parameter.getParameterType())
                && type.getGeneric(0).resolve() == ChangeEvent.class;
    }

    private static InvalidListenerException invalid(Method method, String reason) {
        return new InvalidListenerException("@PgChangeListener method " + describe(method) + ": " + reason);
    }

    /**
     * Whether the method reads old rows: an {@code @OldRow} parameter, or a row bound to a record or bean for DELETEs
     * (whose row is the old one), so a driver must deliver them whole.
     */
    public boolean readsOldRows(boolean deletes) {
        return bindsOldRow || bindsRow && deletes;
    }

    /** {@code SimpleClassName.method} for messages. */
    public static String describe(Method method) {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName();
    }

    /** Whether the method takes a {@code List<ChangeEvent>}. */
    public boolean isBatch() {
        return batch;
    }

    @Override
    public void onChange(ChangeEvent event) throws Exception {
        if (invocations == ListenerInvocations.DIRECT) {
            call(event);
        } else {
            invocations.invoke(listenerId, List.of(event), false, () -> call(event)); // binding included
        }
    }

    private void call(ChangeEvent event) throws Exception {
        Object[] values = new Object[arguments.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = arguments.get(i).apply(event);
        }
        invoke(values);
    }

    @Override
    public void onChanges(List<ChangeEvent> events) throws Exception {
        invocations.invoke(listenerId, events, true, () -> invoke(new Object[] {events}));
    }

    private void invoke(Object[] values) throws Exception {
        try {
            method.invoke(bean, values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /** Annotated methods cannot take gap notices: they are logged, and handed on (as an application event). */
    @Override
    public void onGap(StreamGap gap) {
        log.warn("{} may have missed changes: {}", this, gap.reason());
        gaps.accept(gap);
    }

    /** Annotated methods take snapshot rows as READ events; the notices around them are logged and handed on. */
    @Override
    public void onSnapshot(SnapshotNotice notice) {
        log.info("{}: snapshot of {} {} ({} rows)", this, notice.table(), notice.phase(), notice.rows());
        snapshots.accept(notice);
    }

    /** The method, and the listener's id where it has another (as health and metrics show it). */
    @Override
    public String toString() {
        String method = describe(this.method);
        return listenerId.equals(method) ? method : method + " (listener '" + listenerId + "')";
    }
}
