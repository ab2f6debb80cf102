/* leakscope_agent._native: the agent's census and heap-graph passes in C.
 *
 * Built for one CPython (3.8 and later) per file; the agent imports it when
 * a build for the running interpreter is there and uses its pure-Python
 * code otherwise (_census.py, _graph.py).
 *
 * Rules (docs/safety.md), and how this file keeps them:
 * - No code of the program runs. Sizes come from C __sizeof__ methods only
 *   (method descriptors of C types, called through their C function after
 *   checking the receiver's type); a class whose __sizeof__ is anything else
 *   is sized as object.__sizeof__ plus the collector's header, as
 *   _census.safe_getsizeof does. Referents come from each type's
 *   tp_traverse, which skips NULL slots. No __hash__/__eq__ of a program's
 *   object is called: hash maps here are keyed on pointers.
 * - The passes hold the GIL, do not release it, and allocate no object the
 *   collector tracks until the pass is over, so the object list they walk
 *   cannot change under them and no automatic collection can start.
 * - Memory comes from PyMem_RawMalloc and is checked; on failure a pass
 *   raises MemoryError and leaves nothing behind.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Pointer-keyed open-addressing hash map (linear probing, power of two). */

typedef struct {
    void *key;
    Py_ssize_t value;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask; /* capacity - 1 */
    size_t used;
} PtrMap;

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int ptrmap_init(PtrMap *m, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2 + 2) {
        if (cap > ((size_t)-1) / 4 / sizeof(Slot))
            return -1;
        cap *= 2;
    }
    m->slots = (Slot *)PyMem_RawCalloc(cap, sizeof(Slot));
    if (m->slots == NULL)
        return -1;
    m->mask = cap - 1;
    m->used = 0;
    return 0;
}

static void ptrmap_free(PtrMap *m)
{
    PyMem_RawFree(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->used = 0;
}

static Slot *ptrmap_find(const PtrMap *m, const void *key)
{
    size_t i = ptr_hash(key) & m->mask;
    for (;;) {
        Slot *s = &m->slots[i];
        if (s->key == key)
            return s;
        if (s->key == NULL)
            return NULL;
        i = (i + 1) & m->mask;
    }
}

static int ptrmap_grow(PtrMap *m)
{
    PtrMap bigger;
    size_t i;
    if (ptrmap_init(&bigger, (m->mask + 1)) < 0)
        return -1;
    for (i = 0; i <= m->mask; i++) {
        Slot *s = &m->slots[i];
        if (s->key != NULL) {
            size_t j = ptr_hash(s->key) & bigger.mask;
            while (bigger.slots[j].key != NULL)
                j = (j + 1) & bigger.mask;
            bigger.slots[j] = *s;
            bigger.used++;
        }
    }
    ptrmap_free(m);
    *m = bigger;
    return 0;
}

/* The slot of key, inserted with value when absent (*added set); NULL when
 * out of memory. */
static Slot *ptrmap_put(PtrMap *m, void *key, Py_ssize_t value, int *added)
{
    size_t i;
    *added = 0;
    if ((m->used + 1) * 4 > (m->mask + 1) * 3) {
        if (ptrmap_grow(m) < 0)
            return NULL;
    }
    i = ptr_hash(key) & m->mask;
    for (;;) {
        Slot *s = &m->slots[i];
        if (s->key == key)
            return s;
        if (s->key == NULL) {
            s->key = key;
            s->value = value;
            m->used++;
            *added = 1;
            return s;
        }
        i = (i + 1) & m->mask;
    }
}

/* ------------------------------------------------------------------------
 * Sizes as sys.getsizeof defines them, without running program code. */

enum SizeMode {
    SIZE_FIXED = 0,  /* the same for every instance: fixed */
    SIZE_METHOD = 1, /* a C __sizeof__ method, called per object, + header */
    SIZE_OBJECT = 2  /* object.__sizeof__ per object, + header */
};

typedef struct {
    PyTypeObject *type;
    int mode;
    PyCFunction meth;
    Py_ssize_t header;
    Py_ssize_t fixed;
    Py_ssize_t count;
    Py_ssize_t size;
} TypeEntry;

typedef struct {
    PtrMap index; /* type -> position in entries */
    TypeEntry *entries;
    Py_ssize_t n_entries;
    Py_ssize_t cap_entries;
} TypeTable;

static PyCFunction object_sizeof_meth; /* object.__sizeof__'s C function */
static PyObject *str_sizeof;           /* "__sizeof__", interned */

/* What sys.getsizeof adds to __sizeof__ for a gc-tracked instance of tp:
 * the collector's header, and from 3.11 the pre-header of managed dicts
 * (and from 3.12 of managed weak references). */
static Py_ssize_t header_of(PyTypeObject *tp)
{
    Py_ssize_t header = 0;
    if (PyType_IS_GC(tp))
        header += (Py_ssize_t)(2 * sizeof(uintptr_t));
#if PY_VERSION_HEX >= 0x030B0000
    {
        unsigned long pre = 0;
#ifdef Py_TPFLAGS_MANAGED_DICT
        pre |= Py_TPFLAGS_MANAGED_DICT;
#endif
#ifdef Py_TPFLAGS_MANAGED_WEAKREF
        pre |= Py_TPFLAGS_MANAGED_WEAKREF;
#endif
        if (PyType_GetFlags(tp) & pre)
            header += (Py_ssize_t)(2 * sizeof(PyObject *));
    }
#endif
    return header;
}

/* A new reference to the namespace of tp, or NULL (no error set). From
 * 3.12 static builtin types keep theirs per interpreter (tp_dict NULL). */
static PyObject *type_dict(PyTypeObject *tp)
{
    PyObject *dict;
#if PY_VERSION_HEX >= 0x030C0000
    dict = PyType_GetDict(tp);
#else
    dict = tp->tp_dict;
    Py_XINCREF(dict);
#endif
    if (dict != NULL && !PyDict_CheckExact(dict)) {
        Py_DECREF(dict);
        dict = NULL;
    }
    if (dict == NULL && PyErr_Occurred())
        PyErr_Clear();
    return dict;
}

/* The __sizeof__ that sys.getsizeof would use for instances of tp, found
 * in the MRO dicts (no metaclass hook runs): a C method whose receiver type
 * tp is, or NULL (size through object.__sizeof__). */
static PyCFunction c_sizeof_of(PyTypeObject *tp)
{
    PyObject *mro = tp->tp_mro;
    Py_ssize_t i, n;
    if (mro == NULL || !PyTuple_CheckExact(mro))
        return NULL;
    n = PyTuple_GET_SIZE(mro);
    for (i = 0; i < n; i++) {
        PyObject *klass = PyTuple_GET_ITEM(mro, i);
        PyObject *dict, *found;
        if (klass == NULL || !PyType_Check(klass))
            return NULL;
        dict = type_dict((PyTypeObject *)klass);
        if (dict == NULL)
            continue;
        /* An exact str key: compared by identity or as strings only. The
         * value stays alive while the type (and its dict) does. */
        found = PyDict_GetItemWithError(dict, str_sizeof);
        Py_DECREF(dict);
        if (found == NULL) {
            if (PyErr_Occurred())
                PyErr_Clear();
            continue;
        }
        if (Py_TYPE(found) == &PyMethodDescr_Type) {
            PyMethodDescrObject *descr = (PyMethodDescrObject *)found;
            PyMethodDef *def = descr->d_method;
            if (def == NULL || def->ml_meth == NULL ||
                (def->ml_flags & (METH_NOARGS | METH_VARARGS | METH_KEYWORDS | METH_O |
#ifdef METH_FASTCALL
                                  METH_FASTCALL |
#endif
                                  METH_CLASS | METH_STATIC)) != METH_NOARGS)
                return NULL;
            if (descr->d_common.d_type == NULL ||
                !PyType_IsSubtype(tp, descr->d_common.d_type))
                return NULL;
            return def->ml_meth;
        }
        /* Written in Python (or anything else): never called. */
        return NULL;
    }
    return NULL;
}

static Py_ssize_t call_sizeof(PyCFunction meth, PyObject *obj)
{
    PyObject *res = meth(obj, NULL);
    Py_ssize_t size;
    if (res == NULL) {
        PyErr_Clear();
        return -1;
    }
    size = PyLong_Check(res) ? PyLong_AsSsize_t(res) : -1;
    Py_DECREF(res);
    if (size == -1 && PyErr_Occurred())
        PyErr_Clear();
    return size;
}

static int typetable_init(TypeTable *t)
{
    memset(t, 0, sizeof(*t));
    if (ptrmap_init(&t->index, 512) < 0)
        return -1;
    t->cap_entries = 256;
    t->entries = (TypeEntry *)PyMem_RawMalloc(
        (size_t)t->cap_entries * sizeof(TypeEntry));
    if (t->entries == NULL) {
        ptrmap_free(&t->index);
        return -1;
    }
    return 0;
}

static void typetable_free(TypeTable *t)
{
    ptrmap_free(&t->index);
    PyMem_RawFree(t->entries);
    t->entries = NULL;
}

/* The entry of tp (added on first sight, sized from obj); NULL: no memory. */
static TypeEntry *typetable_get(TypeTable *t, PyTypeObject *tp, PyObject *obj)
{
    int added;
    Slot *slot = ptrmap_put(&t->index, tp, t->n_entries, &added);
    TypeEntry *e;
    if (slot == NULL)
        return NULL;
    if (!added)
        return &t->entries[slot->value];
    if (t->n_entries == t->cap_entries) {
        TypeEntry *bigger;
        if (t->cap_entries > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)sizeof(TypeEntry))
            return NULL;
        bigger = (TypeEntry *)PyMem_RawRealloc(
            t->entries, (size_t)t->cap_entries * 2 * sizeof(TypeEntry));
        if (bigger == NULL)
            return NULL;
        t->entries = bigger;
        t->cap_entries *= 2;
    }
    e = &t->entries[t->n_entries++];
    e->type = tp;
    e->count = 0;
    e->size = 0;
    e->header = header_of(tp);
    e->meth = c_sizeof_of(tp);
    e->fixed = 0;
    if (e->meth == NULL) {
        e->meth = object_sizeof_meth;
        e->mode = SIZE_OBJECT;
    } else {
        e->mode = SIZE_METHOD;
    }
    if (e->meth == object_sizeof_meth && tp->tp_itemsize == 0) {
        /* basicsize (and on 3.13 the inline values): one size per type. */
        Py_ssize_t s = call_sizeof(e->meth, obj);
        if (s >= 0) {
            e->mode = SIZE_FIXED;
            e->fixed = s + e->header;
        }
    }
    return e;
}

static Py_ssize_t entry_size(const TypeEntry *e, PyObject *obj)
{
    Py_ssize_t s;
    if (e->mode == SIZE_FIXED)
        return e->fixed;
    s = call_sizeof(e->meth, obj);
    if (s < 0)
        return 0; /* sys.getsizeof(obj, 0) */
    return s + e->header;
}

/* ------------------------------------------------------------------------
 * census_pass(objs) -> (counts, sizes): dicts type -> int, as
 * _census._counts_and_sizes returns them. */

static PyObject *census_pass(PyObject *self, PyObject *objs)
{
    TypeTable table;
    Py_ssize_t i, n;
    PyTypeObject *last_tp = NULL;
    TypeEntry *last = NULL;
    PyObject *counts = NULL, *sizes = NULL, *result = NULL;
    (void)self;
    if (!PyList_CheckExact(objs)) {
        PyErr_SetString(PyExc_TypeError, "census_pass: a list is needed");
        return NULL;
    }
    if (typetable_init(&table) < 0)
        return PyErr_NoMemory();
    n = PyList_GET_SIZE(objs);
    for (i = 0; i < n; i++) {
        PyObject *obj = PyList_GET_ITEM(objs, i);
        PyTypeObject *tp;
        if (obj == NULL)
            continue;
        tp = Py_TYPE(obj);
        if (tp != last_tp) {
            /* entries may move when the table grows: look up again */
            last = typetable_get(&table, tp, obj);
            if (last == NULL) {
                typetable_free(&table);
                return PyErr_NoMemory();
            }
            last_tp = tp;
        }
        last->count++;
        last->size += entry_size(last, obj);
        /* the list cannot change: nothing above runs Python code */
        n = PyList_GET_SIZE(objs);
    }
    /* The pass is over: now the result may be built. */
    counts = PyDict_New();
    sizes = PyDict_New();
    if (counts == NULL || sizes == NULL)
        goto done;
    for (i = 0; i < table.n_entries; i++) {
        TypeEntry *e = &table.entries[i];
        PyObject *c = PyLong_FromSsize_t(e->count);
        PyObject *s = PyLong_FromSsize_t(e->size);
        int bad = c == NULL || s == NULL ||
                  PyDict_SetItem(counts, (PyObject *)e->type, c) < 0 ||
                  PyDict_SetItem(sizes, (PyObject *)e->type, s) < 0;
        Py_XDECREF(c);
        Py_XDECREF(s);
        if (bad)
            goto done;
    }
    result = PyTuple_Pack(2, counts, sizes);
done:
    Py_XDECREF(counts);
    Py_XDECREF(sizes);
    typetable_free(&table);
    return result;
}

/* ------------------------------------------------------------------------
 * The collector's own lists, walked in place (CPython 3.8 to 3.13).
 *
 * gc.get_objects() copies every tracked object into a list (a reference
 * count write and a list slot per object); the census only needs to see
 * each object once. From 3.8 to 3.13 each tracked object is preceded by a
 * PyGC_Head {next, prev} linking it into its generation's circular list,
 * whose head starts `struct gc_generation {PyGC_Head head; int threshold;
 * int count;}`, three of them in a row, and a newly tracked object is
 * linked last in generation 0 (its next is that head). These are internal
 * layouts, so they are checked before use: the thresholds found must be
 * gc.get_threshold()'s, each head's neighbours must point back at it, and
 * every step of the walk checks prev/next agree; any mismatch (another
 * version, a collection in progress) makes census_walk() return None and
 * the caller uses gc.get_objects(). */

typedef struct {
    uintptr_t next;
    uintptr_t prev;
} GCLink;

typedef struct {
    GCLink head;
    int threshold;
    int count;
} GCGeneration;

#define GC_FLAG_COLLECTING ((uintptr_t)2)
#define GC_PREV_MASK (~(uintptr_t)3)

static GCGeneration *find_generations(int t0, int t1, int t2)
{
    PyObject *probe;
    GCGeneration *gens;
    uintptr_t next;
    int i;
#if PY_VERSION_HEX < 0x03080000 || PY_VERSION_HEX >= 0x030E0000 || defined(Py_GIL_DISABLED)
    return NULL;
#endif
    probe = PyList_New(0);
    if (probe == NULL) {
        PyErr_Clear();
        return NULL;
    }
    next = ((GCLink *)probe - 1)->next;
    Py_DECREF(probe);
    if (next == 0 || (next & 3) != 0)
        return NULL;
    gens = (GCGeneration *)next;
    if (gens[0].threshold != t0 || gens[1].threshold != t1 ||
        gens[2].threshold != t2)
        return NULL;
    for (i = 0; i < 3; i++) {
        GCLink *head = &gens[i].head;
        GCLink *first = (GCLink *)head->next;
        GCLink *last = (GCLink *)(head->prev & GC_PREV_MASK);
        if (first == NULL || last == NULL || (head->next & 3) != 0)
            return NULL;
        if ((first->prev & GC_PREV_MASK) != (uintptr_t)head ||
            last->next != (uintptr_t)head)
            return NULL;
    }
    return gens;
}

/* gc.get_threshold() as three ints; -1 on failure (no error left set).
 * The tuple is gone again before the walk starts. */
static int gc_thresholds(int *t0, int *t1, int *t2)
{
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *t = NULL;
    int ok = 0;
    if (gc != NULL)
        t = PyObject_CallMethod(gc, "get_threshold", NULL);
    if (t != NULL && PyTuple_CheckExact(t) && PyTuple_GET_SIZE(t) == 3) {
        *t0 = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
        *t1 = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
        *t2 = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 2));
        ok = !PyErr_Occurred();
    }
    Py_XDECREF(t);
    Py_XDECREF(gc);
    if (PyErr_Occurred())
        PyErr_Clear();
    return ok ? 0 : -1;
}

/* census_walk() -> (counts, sizes, n) or None: census_pass over the
 * collector's lists in place. */
static PyObject *census_walk(PyObject *self, PyObject *unused)
{
    int t0, t1, t2, g;
    GCGeneration *gens;
    TypeTable table;
    PyTypeObject *last_tp = NULL;
    TypeEntry *last = NULL;
    Py_ssize_t total = 0;
    PyObject *counts = NULL, *sizes = NULL, *result = NULL;
    (void)self;
    (void)unused;
    if (gc_thresholds(&t0, &t1, &t2) < 0)
        Py_RETURN_NONE;
    gens = find_generations(t0, t1, t2);
    if (gens == NULL)
        Py_RETURN_NONE;
    if (typetable_init(&table) < 0)
        return PyErr_NoMemory();
    for (g = 0; g < 3; g++) {
        GCLink *head = &gens[g].head;
        GCLink *prev = head;
        uintptr_t next = head->next;
        while (next != (uintptr_t)head) {
            GCLink *cur = (GCLink *)next;
            PyObject *obj;
            PyTypeObject *tp;
            if ((next & 3) != 0 || cur == NULL ||
                (cur->prev & GC_PREV_MASK) != (uintptr_t)prev ||
                (cur->prev & GC_FLAG_COLLECTING) != 0)
                goto give_up;
            obj = (PyObject *)(cur + 1);
            tp = Py_TYPE(obj);
            if (tp != last_tp) {
                last = typetable_get(&table, tp, obj);
                if (last == NULL) {
                    typetable_free(&table);
                    return PyErr_NoMemory();
                }
                last_tp = tp;
            }
            last->count++;
            if (last->mode == SIZE_FIXED) {
                last->size += last->fixed;
            } else {
                /* A C __sizeof__ that tracked a new object would have
                 * changed the lists under the walk: start over the slow
                 * way. (No standard one does.) */
                int before = gens[0].count;
                last->size += entry_size(last, obj);
                if (gens[0].count != before)
                    goto give_up;
            }
            total++;
            prev = cur;
            next = cur->next;
        }
    }
    counts = PyDict_New();
    sizes = PyDict_New();
    if (counts == NULL || sizes == NULL)
        goto done;
    for (g = 0; g < table.n_entries; g++) {
        TypeEntry *e = &table.entries[g];
        PyObject *c = PyLong_FromSsize_t(e->count);
        PyObject *s = PyLong_FromSsize_t(e->size);
        int bad = c == NULL || s == NULL ||
                  PyDict_SetItem(counts, (PyObject *)e->type, c) < 0 ||
                  PyDict_SetItem(sizes, (PyObject *)e->type, s) < 0;
        Py_XDECREF(c);
        Py_XDECREF(s);
        if (bad)
            goto done;
    }
    result = Py_BuildValue("(OOn)", counts, sizes, total);
done:
    Py_XDECREF(counts);
    Py_XDECREF(sizes);
    typetable_free(&table);
    return result;
give_up:
    typetable_free(&table);
    Py_RETURN_NONE;
}

/* safe_size(obj) -> int: sys.getsizeof(obj) when its __sizeof__ is C,
 * else object.__sizeof__ plus the header (never a program's __sizeof__). */
static PyObject *safe_size(PyObject *self, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    PyCFunction meth = c_sizeof_of(tp);
    Py_ssize_t s;
    (void)self;
    if (meth == NULL)
        meth = object_sizeof_meth;
    s = call_sizeof(meth, obj);
    if (s < 0)
        return PyLong_FromLong(0);
    /* header_of assumes a gc-tracked object, as every census object is */
    return PyLong_FromSsize_t(s + header_of(tp));
}

static PyMethodDef native_methods[] = {
    {"census_pass", census_pass, METH_O,
     "census_pass(objs) -> (counts, sizes): objects and sys.getsizeof "
     "bytes per type, in one C pass; no program code runs."},
    {"census_walk", census_walk, METH_NOARGS,
     "census_walk() -> (counts, sizes, n) or None: census_pass "
     "over the collector's own lists (None: they could not be walked "
     "safely here; use census_pass(gc.get_objects()))."},
    {"safe_size", safe_size, METH_O,
     "safe_size(obj) -> int: the census' size of one object."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "_native",
    "Leakscope agent: census and heap-graph passes in C.", -1,
    native_methods, NULL, NULL, NULL, NULL};

/* Built with hidden visibility: before 3.9 PyMODINIT_FUNC does not export. */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
PyMODINIT_FUNC PyInit__native(void)
{
    PyObject *m, *descr;
    str_sizeof = PyUnicode_InternFromString("__sizeof__");
    if (str_sizeof == NULL)
        return NULL;
    {
        PyObject *dict = type_dict(&PyBaseObject_Type);
        descr = dict ? PyDict_GetItemWithError(dict, str_sizeof) : NULL;
        Py_XDECREF(dict);
    }
    if (descr == NULL || Py_TYPE(descr) != &PyMethodDescr_Type) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ImportError,
                            "object.__sizeof__ is not a C method here");
        return NULL;
    }
    object_sizeof_meth = ((PyMethodDescrObject *)descr)->d_method->ml_meth;
    m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "VERSION", 1) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
