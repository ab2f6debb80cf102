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
#include <structmember.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

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

static int in_map(const PtrMap *m, const void *p)
{
    return m->slots != NULL && ptrmap_find(m, p) != NULL;
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
 * Growable arrays: every array of this file that grows one item at a time
 * grows through grow_to(), which checks the size arithmetic and leaves the
 * array as it was when there is no memory. */

/* Room for at least need items of elem bytes in *items (capacity *cap,
 * doubled from first); 0, or -1 without memory (nothing changed). */
static int grow_to(void **items, Py_ssize_t *cap, Py_ssize_t need,
                   size_t elem, Py_ssize_t first)
{
    Py_ssize_t want;
    void *bigger;
    if (need <= *cap)
        return 0;
    want = *cap > 0 ? *cap : first;
    while (want < need) {
        if (want > PY_SSIZE_T_MAX / 2)
            return -1;
        want *= 2;
    }
    if ((size_t)want > ((size_t)PY_SSIZE_T_MAX) / elem)
        return -1;
    bigger = PyMem_RawRealloc(*items, (size_t)want * elem);
    if (bigger == NULL)
        return -1;
    *items = bigger;
    *cap = want;
    return 0;
}

/* Room for one more item at arr[n]. */
#define GROW(arr, cap, n) \
    grow_to((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)), 64)

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
    int base; /* the container pass' base type of tp (index), or -1 */
} TypeEntry;

struct Containers;

typedef struct {
    PtrMap index; /* type -> position in entries */
    TypeEntry *entries;
    Py_ssize_t n_entries;
    Py_ssize_t cap_entries;
    struct Containers *ct; /* the container pass, when one runs */
} TypeTable;

static int container_base(const struct Containers *ct, PyTypeObject *tp);

static PyCFunction object_sizeof_meth; /* object.__sizeof__'s C function */
/* What _census.safe_getsizeof adds to object.__sizeof__ for a class whose
 * own __sizeof__ is never called (set_safe_header); < 0: header_of(). */
static Py_ssize_t safe_header = -1;
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
    if (GROW(t->entries, t->cap_entries, t->n_entries) < 0)
        return NULL;
    e = &t->entries[t->n_entries++];
    e->type = tp;
    e->count = 0;
    e->size = 0;
    e->base = t->ct != NULL ? container_base(t->ct, tp) : -1;
    e->header = header_of(tp);
    e->meth = c_sizeof_of(tp);
    e->fixed = 0;
    if (e->meth == NULL) {
        e->meth = object_sizeof_meth;
        e->mode = SIZE_OBJECT;
        if (safe_header >= 0)
            e->header = safe_header;
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
 * The container pass (issue 14, _containers.py), folded into the census:
 * while it counts, every instance of dict, list, set, frozenset, deque (and
 * their subclasses: OrderedDict, defaultdict, Counter, ...) is measured
 * with its builtin base's own C length (the base type's sq_length or
 * mp_length slot, which only reads a field: never a subclass' __len__), and
 * kept when it has at least min_items items or is among the `keep` longest
 * of the rest. Ties go to the object met first (walk order), so a heap of
 * many equal short containers costs one comparison each. The agent's own
 * objects (skip) are never kept. Nothing here allocates a Python object:
 * the kept ones are returned once the walk is over. */

#define N_BASES 5

typedef struct {
    PyObject *obj;
    Py_ssize_t n, size, pos;
} Found;

struct Containers {
    PyTypeObject *bases[N_BASES];
    lenfunc lens[N_BASES];
    int n_bases;
    PtrMap skip;
    Py_ssize_t min_items, keep;
    Found *longs;       /* n >= min_items, walk order */
    Py_ssize_t n_longs, cap_longs;
    Found *heap;        /* the keep longest of the rest: a heap, worst first */
    Py_ssize_t n_heap;
    int failed;         /* out of memory */
};

static int container_base(const struct Containers *ct, PyTypeObject *tp)
{
    int k;
    for (k = 0; k < ct->n_bases; k++)
        if (tp == ct->bases[k] || PyType_IsSubtype(tp, ct->bases[k]))
            return k;
    return -1;
}

/* The C length function of base, when its __len__ is the slot wrapper of
 * a C slot (a builtin or extension type, not a class written in Python). */
static lenfunc base_length(PyTypeObject *base)
{
    lenfunc len = NULL;
    PyObject *dict, *wrapper;
    if (base->tp_as_sequence != NULL)
        len = base->tp_as_sequence->sq_length;
    if (len == NULL && base->tp_as_mapping != NULL)
        len = base->tp_as_mapping->mp_length;
    if (len == NULL)
        return NULL;
    dict = type_dict(base);
    if (dict == NULL)
        return NULL;
    wrapper = PyDict_GetItemString(dict, "__len__"); /* borrowed, no error */
    Py_DECREF(dict);
    if (wrapper == NULL || Py_TYPE(wrapper) != &PyWrapperDescr_Type)
        return NULL;
    return len;
}

static int add_ids(PtrMap *m, PyObject *ids);

/* scan = (bases, skip ids, min_items, keep); 0, or -1 with an error set. */
static int containers_init(struct Containers *ct, PyObject *scan)
{
    PyObject *bases, *skip;
    Py_ssize_t k;
    memset(ct, 0, sizeof(*ct));
    if (!PyArg_ParseTuple(scan, "O!Onn", &PyTuple_Type, &bases, &skip,
                          &ct->min_items, &ct->keep))
        return -1;
    if (PyTuple_GET_SIZE(bases) > N_BASES || ct->keep < 0 ||
        ct->keep > 1000000) {
        PyErr_SetString(PyExc_ValueError, "container pass: bad arguments");
        return -1;
    }
    for (k = 0; k < PyTuple_GET_SIZE(bases); k++) {
        PyObject *base = PyTuple_GET_ITEM(bases, k);
        if (!PyType_Check(base) ||
            (ct->lens[k] = base_length((PyTypeObject *)base)) == NULL) {
            PyErr_SetString(PyExc_TypeError,
                            "container pass: a base without a C length");
            return -1;
        }
        ct->bases[k] = (PyTypeObject *)base;
    }
    ct->n_bases = (int)PyTuple_GET_SIZE(bases);
    if (ptrmap_init(&ct->skip, 1024) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (add_ids(&ct->skip, skip) < 0)
        return -1;
    {
        /* The arguments are the agent's too (the set of ids is long). */
        int added;
        if (ptrmap_put(&ct->skip, skip, 1, &added) == NULL ||
            ptrmap_put(&ct->skip, scan, 1, &added) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    ct->heap = (Found *)PyMem_RawMalloc(((size_t)ct->keep + 1) * sizeof(Found));
    if (ct->heap == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void containers_free(struct Containers *ct)
{
    ptrmap_free(&ct->skip);
    PyMem_RawFree(ct->longs);
    PyMem_RawFree(ct->heap);
    ct->longs = ct->heap = NULL;
}

/* a ranks below b: shorter, or as long and met later. */
static int found_worse(const Found *a, const Found *b)
{
    return a->n < b->n || (a->n == b->n && a->pos > b->pos);
}

static void heap_sift_down(Found *h, Py_ssize_t n, Py_ssize_t i)
{
    for (;;) {
        Py_ssize_t l = 2 * i + 1, r = l + 1, w = i;
        Found tmp;
        if (l < n && found_worse(&h[l], &h[w]))
            w = l;
        if (r < n && found_worse(&h[r], &h[w]))
            w = r;
        if (w == i)
            return;
        tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

static void heap_sift_up(Found *h, Py_ssize_t i)
{
    while (i > 0) {
        Py_ssize_t parent = (i - 1) / 2;
        Found tmp;
        if (!found_worse(&h[i], &h[parent]))
            return;
        tmp = h[i];
        h[i] = h[parent];
        h[parent] = tmp;
        i = parent;
    }
}

/* One object of the walk (pos: its place in it), an instance of e's type. */
static void container_seen(struct Containers *ct, const TypeEntry *e,
                           PyObject *obj, Py_ssize_t size, Py_ssize_t pos)
{
    Found f;
    Py_ssize_t n;
    /* The two common exact types without the call (the same fields). */
    if (e->type == &PyList_Type)
        n = PyList_GET_SIZE(obj);
    else if (e->type == &PyDict_Type)
        n = PyDict_GET_SIZE(obj);
    else
        n = ct->lens[e->base](obj);
    if (n < 0) {
        PyErr_Clear();
        return;
    }
    if (n < ct->min_items &&
        (ct->keep == 0 || (ct->n_heap == ct->keep && n <= ct->heap[0].n)))
        return; /* the common case: short, and no longer than the kept */
    if (in_map(&ct->skip, obj))
        return;
    f.obj = obj;
    f.n = n;
    f.size = size;
    f.pos = pos;
    if (n >= ct->min_items) {
        if (GROW(ct->longs, ct->cap_longs, ct->n_longs) < 0) {
            ct->failed = 1;
            return;
        }
        ct->longs[ct->n_longs++] = f;
    } else if (ct->n_heap < ct->keep) {
        ct->heap[ct->n_heap] = f;
        heap_sift_up(ct->heap, ct->n_heap++);
    } else {
        ct->heap[0] = f; /* met last: better than the worst iff longer */
        heap_sift_down(ct->heap, ct->n_heap, 0);
    }
}

static int found_by_pos(const void *a, const void *b)
{
    Py_ssize_t x = ((const Found *)a)->pos, y = ((const Found *)b)->pos;
    return x < y ? -1 : x > y;
}

/* (objects, lengths, sizes): the kept containers in walk order. */
static PyObject *containers_result(struct Containers *ct)
{
    Py_ssize_t n = ct->n_longs + ct->n_heap, i;
    PyObject *objs = NULL, *lens = NULL, *sizes = NULL, *result = NULL;
    if (ct->failed)
        return PyErr_NoMemory();
    if (GROW(ct->longs, ct->cap_longs, n) < 0)
        return PyErr_NoMemory();
    if (ct->n_heap > 0)
        memcpy(ct->longs + ct->n_longs, ct->heap,
               (size_t)ct->n_heap * sizeof(Found));
    qsort(ct->longs, (size_t)n, sizeof(Found), found_by_pos);
    objs = PyList_New(n);
    lens = PyList_New(n);
    sizes = PyList_New(n);
    if (objs == NULL || lens == NULL || sizes == NULL)
        goto done;
    for (i = 0; i < n; i++) {
        PyObject *len = PyLong_FromSsize_t(ct->longs[i].n);
        PyObject *size = PyLong_FromSsize_t(ct->longs[i].size);
        if (len == NULL || size == NULL) {
            Py_XDECREF(len);
            Py_XDECREF(size);
            goto done;
        }
        Py_INCREF(ct->longs[i].obj);
        PyList_SET_ITEM(objs, i, ct->longs[i].obj);
        PyList_SET_ITEM(lens, i, len);
        PyList_SET_ITEM(sizes, i, size);
    }
    result = PyTuple_Pack(3, objs, lens, sizes);
done:
    Py_XDECREF(objs);
    Py_XDECREF(lens);
    Py_XDECREF(sizes);
    return result;
}

/* counts and sizes (dicts type -> int) of a census' table. */
static PyObject *census_result(TypeTable *table, Py_ssize_t total,
                               struct Containers *ct)
{
    PyObject *counts = PyDict_New(), *sizes = PyDict_New();
    PyObject *found = NULL, *result = NULL;
    Py_ssize_t i;
    if (counts == NULL || sizes == NULL)
        goto done;
    for (i = 0; i < table->n_entries; i++) {
        TypeEntry *e = &table->entries[i];
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
    if (ct != NULL) {
        found = containers_result(ct);
        if (found == NULL)
            goto done;
    } else {
        found = Py_None;
        Py_INCREF(found);
    }
    result = Py_BuildValue("(OOnO)", counts, sizes, total, found);
done:
    Py_XDECREF(counts);
    Py_XDECREF(sizes);
    Py_XDECREF(found);
    return result;
}

/* ------------------------------------------------------------------------
 * census_pass(objs[, scan]) -> (counts, sizes, n, containers): dicts
 * type -> int, as _census._counts_and_sizes returns them; with scan (see
 * containers_init), the container pass' (objects, lengths, sizes), else
 * None. */

static PyObject *census_pass(PyObject *self, PyObject *args)
{
    TypeTable table;
    struct Containers ct;
    Py_ssize_t i, n;
    PyTypeObject *last_tp = NULL;
    TypeEntry *last = NULL;
    PyObject *objs, *scan = Py_None, *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!|O", &PyList_Type, &objs, &scan))
        return NULL;
    if (typetable_init(&table) < 0)
        return PyErr_NoMemory();
    if (scan != Py_None) {
        table.ct = &ct; /* freed below, even when half made */
        if (containers_init(&ct, scan) < 0)
            goto done;
    }
    n = PyList_GET_SIZE(objs);
    for (i = 0; i < n; i++) {
        PyObject *obj = PyList_GET_ITEM(objs, i);
        PyTypeObject *tp;
        Py_ssize_t size;
        if (obj == NULL)
            continue;
        tp = Py_TYPE(obj);
        if (tp != last_tp) {
            /* entries may move when the table grows: look up again */
            last = typetable_get(&table, tp, obj);
            if (last == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            last_tp = tp;
        }
        last->count++;
        size = entry_size(last, obj);
        last->size += size;
        if (last->base >= 0)
            container_seen(&ct, last, obj, size, i);
        /* the list cannot change: nothing above runs Python code */
        n = PyList_GET_SIZE(objs);
    }
    /* The pass is over: now the result may be built. */
    result = census_result(&table, n, table.ct);
done:
    if (table.ct != NULL)
        containers_free(table.ct);
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

/* census_walk([scan]) -> (counts, sizes, n, containers) or None:
 * census_pass over the collector's lists in place. */
static PyObject *census_walk(PyObject *self, PyObject *args)
{
    int t0, t1, t2, g;
    GCGeneration *gens;
    TypeTable table;
    struct Containers ct;
    PyTypeObject *last_tp = NULL;
    TypeEntry *last = NULL;
    Py_ssize_t total = 0;
    PyObject *scan = Py_None, *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "|O", &scan))
        return NULL;
    if (gc_thresholds(&t0, &t1, &t2) < 0)
        Py_RETURN_NONE;
    gens = find_generations(t0, t1, t2);
    if (gens == NULL)
        Py_RETURN_NONE;
    if (typetable_init(&table) < 0)
        return PyErr_NoMemory();
    if (scan != Py_None) {
        table.ct = &ct; /* freed below, even when half made */
        if (containers_init(&ct, scan) < 0)
            goto done;
    }
    /* From here to the result nothing allocates a Python object. */
    for (g = 0; g < 3; g++) {
        GCLink *head = &gens[g].head;
        GCLink *prev = head;
        uintptr_t next = head->next;
        while (next != (uintptr_t)head) {
            GCLink *cur = (GCLink *)next;
            PyObject *obj;
            PyTypeObject *tp;
            Py_ssize_t size;
            if ((next & 3) != 0 || cur == NULL ||
                (cur->prev & GC_PREV_MASK) != (uintptr_t)prev ||
                (cur->prev & GC_FLAG_COLLECTING) != 0)
                goto give_up;
            obj = (PyObject *)(cur + 1);
            tp = Py_TYPE(obj);
            if (tp != last_tp) {
                last = typetable_get(&table, tp, obj);
                if (last == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                last_tp = tp;
            }
            last->count++;
            if (last->mode == SIZE_FIXED) {
                size = last->fixed;
            } else {
                /* A C __sizeof__ that tracked a new object would have
                 * changed the lists under the walk: start over the slow
                 * way. (No standard one does.) */
                int before = gens[0].count;
                size = entry_size(last, obj);
                if (gens[0].count != before)
                    goto give_up;
            }
            last->size += size;
            if (last->base >= 0)
                container_seen(&ct, last, obj, size, total);
            total++;
            prev = cur;
            next = cur->next;
        }
    }
    result = census_result(&table, total, table.ct);
done:
    if (table.ct != NULL)
        containers_free(table.ct);
    typetable_free(&table);
    return result;
give_up:
    if (table.ct != NULL)
        containers_free(table.ct);
    typetable_free(&table);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------
 * The heap-graph dump (docs/file-format.md "Heap graphs"): one pass over the
 * nodes, each traversed with its type's tp_traverse (as gc.get_referents
 * does: NULL slots are never visited), into growable C arrays. Labels of
 * exact lists and tuples, exact dicts whose referents are their values (all
 * keys exact str), sets, cells and bound methods are made here; every other
 * object's labels come from the agent's Python labeller (the same code the
 * pure-Python dump runs), through a callback. */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} Buf;

static int buf_reserve(Buf *b, size_t more)
{
    size_t need, cap;
    char *bigger;
    if (more > ((size_t)-1) / 2 - b->len)
        return -1;
    need = b->len + more;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : need;
    while (cap < need)
        cap = cap / 2 * 3 + 4096; /* 1.5x: less slack at the peak */
    bigger = (char *)PyMem_RawRealloc(b->data, cap);
    if (bigger == NULL)
        return -1;
    b->data = bigger;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_free(Buf *b)
{
    PyMem_RawFree(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Bytes of b, and b freed (one copy at a time keeps the peak low). */
static PyObject *buf_take(Buf *b)
{
    PyObject *bytes = PyBytes_FromStringAndSize(b->data ? b->data : "",
                                                (Py_ssize_t)b->len);
    buf_free(b);
    return bytes;
}

typedef struct {
    PyObject **items;
    Py_ssize_t n;
    Py_ssize_t cap;
    int failed;
} Refs;

static int collect_ref(PyObject *obj, void *arg)
{
    Refs *r = (Refs *)arg;
    if (obj == NULL)
        return 0;
    if (GROW(r->items, r->cap, r->n) < 0) {
        r->failed = 1;
        return 1;
    }
    r->items[r->n++] = obj;
    return 0;
}

static int is_tracked(PyObject *obj)
{
    if (!PyObject_IS_GC(obj))
        return 0;
#if PY_VERSION_HEX >= 0x03090000
    return PyObject_GC_IsTracked(obj);
#else
    return _PyObject_GC_IS_TRACKED(obj);
#endif
}

/* An output array written in chunks: each STREAM_CHUNK bytes go through
 * a zlib compressor (zlib.compressobj of the file's level), so the raw
 * array never exists whole. Flushed only between nodes: compressing
 * releases the GIL, and a node's referents are borrowed until it is done.
 * Without a compressor the array is kept raw. */
#define STREAM_CHUNK ((size_t)256 * 1024)

typedef struct {
    Buf buf;
    PyObject *z;      /* the compressor, or NULL */
    PyObject *chunks; /* list of compressed bytes */
} Stream;

static int stream_init(Stream *st, PyObject *zlib, int level)
{
    memset(st, 0, sizeof(*st));
    if (zlib == NULL)
        return 0;
    st->chunks = PyList_New(0);
    if (st->chunks == NULL)
        return -1;
    st->z = PyObject_CallMethod(zlib, "compressobj", "i", level);
    return st->z == NULL ? -1 : 0;
}

static int stream_append(Stream *st, PyObject *out)
{
    int rc = 0;
    if (out == NULL)
        return -1;
    if (!PyBytes_Check(out))
        PyErr_SetString(PyExc_TypeError, "graph dump: bad compressor");
    else if (PyBytes_GET_SIZE(out) > 0)
        rc = PyList_Append(st->chunks, out);
    if (PyErr_Occurred())
        rc = -1;
    Py_DECREF(out);
    return rc;
}

/* Compresses what the buffer holds (all of it, and the end of the
 * stream, when final). */
static int stream_flush(Stream *st, int final)
{
    if (st->z == NULL)
        return 0;
    if (st->buf.len > 0 && (final || st->buf.len >= STREAM_CHUNK)) {
        PyObject *view = PyMemoryView_FromMemory(
            st->buf.data, (Py_ssize_t)st->buf.len, PyBUF_READ);
        if (view == NULL)
            return -1;
        if (stream_append(st, PyObject_CallMethod(st->z, "compress", "O",
                                                  view)) < 0) {
            Py_DECREF(view);
            return -1;
        }
        Py_DECREF(view);
        st->buf.len = 0;
    }
    if (final && stream_append(st, PyObject_CallMethod(st->z, "flush", NULL)) < 0)
        return -1;
    return 0;
}

/* The array: its compressed bytes (joined), or its raw bytes. */
static PyObject *stream_take(Stream *st)
{
    PyObject *joined;
    if (st->z == NULL)
        return buf_take(&st->buf);
    if (stream_flush(st, 1) < 0)
        return NULL;
    buf_free(&st->buf);
    {
        Py_ssize_t i, total = 0;
        char *p;
        for (i = 0; i < PyList_GET_SIZE(st->chunks); i++)
            total += PyBytes_GET_SIZE(PyList_GET_ITEM(st->chunks, i));
        joined = PyBytes_FromStringAndSize(NULL, total);
        if (joined == NULL)
            return NULL;
        p = PyBytes_AS_STRING(joined);
        for (i = 0; i < PyList_GET_SIZE(st->chunks); i++) {
            PyObject *c = PyList_GET_ITEM(st->chunks, i);
            memcpy(p, PyBytes_AS_STRING(c), (size_t)PyBytes_GET_SIZE(c));
            p += PyBytes_GET_SIZE(c);
        }
    }
    Py_CLEAR(st->chunks);
    return joined;
}

static void stream_free(Stream *st)
{
    buf_free(&st->buf);
    Py_CLEAR(st->z);
    Py_CLEAR(st->chunks);
}

/* The listed objects, for "is this referent a node?": the list's own
 * item array sorted by address (the node order does not matter: readers
 * key nodes by id; no copy of the list is made) and an index of the 4 KiB
 * pages holding them: page -> (first position, count). A page holds at
 * most 256 objects, so a lookup is one hash probe and a short binary
 * search, whatever the number of nodes and however far apart the heap's
 * regions lie (an index of address ranges put nearly all of them in one
 * range: a binary search over all nodes per edge, log n cache misses). */
#define NODE_PAGE_SHIFT 12
#define NODE_COUNT_BITS 16

typedef struct {
    PyObject **items;
    Py_ssize_t n;
    PtrMap pages; /* page + 1 -> first position << 16 | count */
} NodeSet;

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (PyObject *const *)a;
    uintptr_t y = (uintptr_t) * (PyObject *const *)b;
    return x < y ? -1 : x > y;
}

static void *node_page(uintptr_t x)
{
    return (void *)((x >> NODE_PAGE_SHIFT) + 1);
}

static int nodeset_init(NodeSet *s, PyObject *list)
{
    Py_ssize_t i, first, pages = 0;
    memset(s, 0, sizeof(*s));
    s->items = ((PyListObject *)list)->ob_item;
    s->n = PyList_GET_SIZE(list);
    if (s->n == 0)
        return 0;
    qsort(s->items, (size_t)s->n, sizeof(PyObject *), by_address);
    for (i = 0; i < s->n; i++)
        if (i == 0 || node_page((uintptr_t)s->items[i]) !=
                          node_page((uintptr_t)s->items[i - 1]))
            pages++;
    if (ptrmap_init(&s->pages, (size_t)pages) < 0)
        return -1;
    for (first = 0; first < s->n; first = i) {
        void *page = node_page((uintptr_t)s->items[first]);
        int added;
        for (i = first + 1; i < s->n &&
                            node_page((uintptr_t)s->items[i]) == page; i++)
            ;
        if (i - first >= ((Py_ssize_t)1 << NODE_COUNT_BITS))
            return -1; /* cannot be: objects are at least 16 bytes */
        if (ptrmap_put(&s->pages, page,
                       (first << NODE_COUNT_BITS) | (i - first), &added) ==
            NULL)
            return -1;
    }
    return 0;
}

/* p's position among the sorted nodes, or -1. */
static Py_ssize_t nodeset_index(const NodeSet *s, const void *p)
{
    uintptr_t x = (uintptr_t)p;
    Py_ssize_t lo, hi;
    Slot *page;
    if (s->n == 0)
        return -1;
    page = ptrmap_find(&s->pages, node_page(x));
    if (page == NULL)
        return -1;
    lo = page->value >> NODE_COUNT_BITS;
    hi = lo + (page->value & (((Py_ssize_t)1 << NODE_COUNT_BITS) - 1));
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        uintptr_t m = (uintptr_t)s->items[mid];
        if (m == x)
            return mid;
        if (m < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int nodeset_has(const NodeSet *s, const void *p)
{
    return nodeset_index(s, p) >= 0;
}

#define MODULE_ROOT 1
#define CLASS_ROOT 2
#define THREAD_FRAME 4
#define INDEX_LABELS 65536
#define MAX_LABEL 40

typedef struct {
    /* inputs */
    PyObject *callback;  /* callback(obj, refs) -> (node label, refs, labels) */
    int32_t *intern;     /* see intern_text */
    size_t intern_mask;
    Buf text_data;       /* label texts, UTF-8 (surrogatepass), end to end */
    Buf text_ends;       /* uint32 per text: where it ends in text_data */
    Py_ssize_t n_texts;
    PtrMap skip;         /* ids never to point at (the agent's objects) */
    PtrMap skip_types;   /* types whose instances are the agent's */
    PtrMap modules;      /* ids of modules in sys.modules */
    PtrMap frames;       /* ids of the threads' current frames */
    PtrMap module_dicts; /* ids of module namespaces */
    uint8_t *instance_dicts; /* a bit per node: an instance's __dict__ */
    NodeSet nodes;       /* the listed objects: edges to others go */
    Py_ssize_t list_cap, tuple_cap; /* index labels "[i]" for i < cap */
    /* state */
    PtrMap types;        /* type -> index into type_list */
    PyObject *type_list;
    TypeTable sizes;
    PtrMap len_labels;   /* (n, kind) -> string id of "list (n items)" ... */
    PtrMap key_labels[3];/* str key -> string id, per dict kind */
    int *index_sids;     /* string id of "[i]", -2 = not yet */
    Py_ssize_t n_index_sids;
    int sid_cell, sid_func, sid_self, sid_class, sid_dict;
    Refs refs;
    /* plain class instances: type -> index into specs (-1: none) */
    PyObject *spec_for;  /* spec_for(type) -> None or (slots, names) */
    PtrMap spec_index;
    PyObject *specs;     /* list of the specs, kept alive */
    struct InstanceSpec *ispecs;
    Py_ssize_t n_ispecs, cap_ispecs;
    PyObject **pair_values;
    struct LazyLabel *pair_labels;
    Py_ssize_t cap_pairs;
    /* outputs: compressed in chunks as they fill (types stay raw: the
     * file renumbers them) */
    PyObject *tps;       /* bytes: int32 type index per node, filled in place */
    Stream ids, szs, flags, offsets, targets, node_labels, edge_labels;
    uint32_t edge_count;
    Py_ssize_t node_count;
} Dump;

/* How _labels.Labeler._other_labels labels an instance of a plain class:
 * its slots (member descriptors of the MRO, read at their offsets), then
 * for a class without __getattr__/__getattribute__ the attribute names its
 * methods use (read as object.__getattribute__ would, no exception made),
 * then its class; each referent gets the label of the first of these that
 * is it; then the first unlabelled exact dict is its "__dict__". */
typedef struct {
    Py_ssize_t offset;
    PyObject *label; /* borrowed: d->specs keeps it */
    int sid;         /* -2 until first used */
} SlotSpec;

typedef struct {
    PyObject *name;
    PyObject *label;
    int sid;
} NameSpec;

typedef struct LazyLabel {
    PyObject *label;  /* the text, or NULL: text */
    const char *text;
    int *sid;         /* where its string id is kept (-2: not yet) */
} LazyLabel;

struct InstanceSpec {
    SlotSpec *slots;
    Py_ssize_t n_slots;
    NameSpec *names;
    Py_ssize_t n_names;
};

/* The string id of text (exact str), -1 for None, -3 on error. Texts are
 * kept as UTF-8 bytes end to end in one buffer (a few bytes each, where a
 * str object per label took some 60), interned in an open-addressing
 * table of string ids keyed on a hash of those bytes: no dict entry, no
 * object per label. */
static uint64_t text_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

static const char *text_at(const Dump *d, int32_t id, size_t *n)
{
    const uint32_t *ends = (const uint32_t *)d->text_ends.data;
    uint32_t start = id > 0 ? ends[id - 1] : 0;
    *n = ends[id] - start;
    return d->text_data.data + start;
}

static int intern_grow(Dump *d)
{
    size_t cap = d->intern_mask ? (d->intern_mask + 1) * 2 : 4096, i;
    int32_t *table;
    if (cap > ((size_t)-1) / 8)
        return -1;
    table = (int32_t *)PyMem_RawMalloc(cap * sizeof(int32_t));
    if (table == NULL)
        return -1;
    for (i = 0; i < cap; i++)
        table[i] = -1;
    for (i = 0; d->intern && i <= d->intern_mask; i++) {
        int32_t id = d->intern[i];
        size_t j, n;
        const char *p;
        if (id < 0)
            continue;
        p = text_at(d, id, &n);
        j = (size_t)text_hash(p, n) & (cap - 1);
        while (table[j] >= 0)
            j = (j + 1) & (cap - 1);
        table[j] = id;
    }
    PyMem_RawFree(d->intern);
    d->intern = table;
    d->intern_mask = cap - 1;
    return 0;
}

static int intern_bytes(Dump *d, const char *p, size_t len)
{
    size_t j;
    uint32_t end;
    Py_ssize_t n = d->n_texts;
    if ((size_t)(n + 1) * 2 > d->intern_mask + 1 && intern_grow(d) < 0) {
        PyErr_NoMemory();
        return -3;
    }
    j = (size_t)text_hash(p, len) & d->intern_mask;
    while (d->intern[j] >= 0) {
        size_t known_len;
        const char *known = text_at(d, d->intern[j], &known_len);
        if (known_len == len && memcmp(known, p, len) == 0)
            return d->intern[j];
        j = (j + 1) & d->intern_mask;
    }
    if (n >= 0x7FFFFFFF || len > 0xFFFFFFFFu - d->text_data.len)
        return -1; /* no more labels: unlabelled from here */
    end = (uint32_t)(d->text_data.len + len);
    if (buf_put(&d->text_data, p, len) < 0 ||
        buf_put(&d->text_ends, &end, 4) < 0) {
        PyErr_NoMemory();
        return -3;
    }
    d->intern[j] = (int32_t)n;
    d->n_texts++;
    return (int)n;
}

static int intern_text(Dump *d, PyObject *text)
{
    PyObject *utf8;
    int sid;
    if (text == NULL || text == Py_None || !PyUnicode_CheckExact(text))
        return -1;
    if (PyUnicode_IS_COMPACT_ASCII(text))
        return intern_bytes(d, (const char *)PyUnicode_DATA(text),
                            (size_t)PyUnicode_GET_LENGTH(text));
    /* A new bytes object: never the UTF-8 cache of a program's str. */
    utf8 = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    if (utf8 == NULL)
        return -3;
    sid = intern_bytes(d, PyBytes_AS_STRING(utf8),
                       (size_t)PyBytes_GET_SIZE(utf8));
    Py_DECREF(utf8);
    return sid;
}

static int intern_utf8(Dump *d, const char *text)
{
    return intern_bytes(d, text, strlen(text));
}

/* cut(): at most MAX_LABEL characters, else the first 37 and "...". A new
 * reference; steals text. */
static PyObject *cut_text(PyObject *text)
{
    PyObject *head, *result;
    if (text == NULL || PyUnicode_GET_LENGTH(text) <= MAX_LABEL)
        return text;
    head = PyUnicode_Substring(text, 0, MAX_LABEL - 3);
    Py_DECREF(text);
    if (head == NULL)
        return NULL;
    result = PyUnicode_FromFormat("%U...", head);
    Py_DECREF(head);
    return result;
}

/* "list (3 items)", as _labels._plural names exact containers. */
static int len_label(Dump *d, int kind, Py_ssize_t n)
{
    static const char *names[] = {"", "list", "tuple", "dict", "set",
                                  "frozenset"};
    void *key = (void *)(((uintptr_t)n << 3) | (uintptr_t)kind);
    int added, sid;
    Slot *slot;
    PyObject *text;
    slot = ptrmap_put(&d->len_labels, key, -2, &added);
    if (slot == NULL)
        return -3;
    if (slot->value != -2)
        return (int)slot->value;
    text = PyUnicode_FromFormat("%s (%zd item%s)", names[kind], n,
                                n == 1 ? "" : "s");
    if (text == NULL)
        return -3;
    sid = intern_text(d, text);
    Py_DECREF(text);
    /* the map may have grown while interning? no: separate maps */
    slot->value = sid;
    return sid;
}

static int index_label(Dump *d, Py_ssize_t i)
{
    char text[32];
    if (i >= d->n_index_sids) {
        Py_ssize_t k = d->n_index_sids;
        if (grow_to((void **)&d->index_sids, &d->n_index_sids, i + 1,
                    sizeof(int), 1024) < 0)
            return -3;
        for (; k < d->n_index_sids; k++)
            d->index_sids[k] = -2;
    }
    if (d->index_sids[i] == -2) {
        PyOS_snprintf(text, sizeof(text), "[%zd]", i);
        d->index_sids[i] = intern_utf8(d, text);
    }
    return d->index_sids[i];
}

/* key_label(key, kind) of _labels for an exact str key. */
static int key_label(Dump *d, PyObject *key, int kind)
{
    int added, sid;
    /* Only interned keys (attribute names, identifiers) are remembered:
     * they repeat; a key made at run time ("key%d") seldom does, and a map
     * slot per such key would cost more than its label. */
    int cached = PyUnicode_CHECK_INTERNED(key) != 0;
    Slot *slot = NULL;
    PyObject *text = NULL;
    if (cached) {
        slot = ptrmap_put(&d->key_labels[kind], key, -2, &added);
        if (slot == NULL)
            return -3;
        if (slot->value != -2)
            return (int)slot->value;
    }
    if (kind == 1) {
        Py_INCREF(key);
        text = cut_text(key);
    } else if (kind == 2) {
        text = cut_text(PyUnicode_FromFormat(".%U", key));
    } else {
        /* "[" + short_repr(key) + "]": the repr of at most 42 characters,
         * cut to 40. */
        PyObject *part, *repr;
        if (PyUnicode_GET_LENGTH(key) > MAX_LABEL)
            part = PyUnicode_Substring(key, 0, MAX_LABEL + 2);
        else {
            part = key;
            Py_INCREF(part);
        }
        repr = part ? PyObject_Repr(part) : NULL; /* exact str: C only */
        Py_XDECREF(part);
        repr = cut_text(repr);
        if (repr != NULL) {
            text = PyUnicode_FromFormat("[%U]", repr);
            Py_DECREF(repr);
        }
    }
    if (text == NULL)
        return -3;
    sid = intern_text(d, text);
    Py_DECREF(text);
    if (!cached)
        return sid;
    slot = ptrmap_put(&d->key_labels[kind], key, -2, &added);
    if (slot == NULL)
        return -3;
    slot->value = sid;
    return sid;
}


static int put_u32(Buf *b, uint32_t v) { return buf_put(b, &v, 4); }
static int put_i32(Buf *b, int32_t v) { return buf_put(b, &v, 4); }

/* One edge obj -> target with label sid, unless target is no node. */
/* Whether an edge to target is kept: target is a listed object, tracked,
 * and not the agent's. (The program's threads run while the labeller does:
 * an object made since the listing is no node, and no edge goes to it.)
 * Labels are interned only for kept edges, so every string of the dump is
 * used by some node or edge. */
static int edge_kept(Dump *d, PyObject *target)
{
    return is_tracked(target) && !in_map(&d->skip, target) &&
           !in_map(&d->skip_types, Py_TYPE(target)) &&
           nodeset_has(&d->nodes, target);
}

/* One edge to target (kept: see edge_kept) with label sid. */
static int put_edge(Dump *d, PyObject *target, int sid)
{
    uint64_t id;
    if (d->edge_count == 0xFFFFFFFFu)
        return -1;
    id = (uint64_t)(uintptr_t)target;
    if (buf_put(&d->targets.buf, &id, 8) < 0 ||
        put_i32(&d->edge_labels.buf, sid) < 0)
        return -1;
    d->edge_count++;
    return 0;
}

/* A fixed label, interned on its first use; -3 on error. */
static int lazy_sid(Dump *d, int *sid, const char *text)
{
    if (*sid == -2)
        *sid = intern_utf8(d, text);
    return *sid;
}

/* The labels of obj's referents through the Python labeller. */
static int dump_by_callback(Dump *d, PyObject *obj, int *node_sid)
{
    PyObject *refs = PyList_New(d->refs.n);
    PyObject *res, *node, *out_refs, *labels;
    Py_ssize_t i, n;
    if (refs == NULL)
        return -1;
    for (i = 0; i < d->refs.n; i++) {
        Py_INCREF(d->refs.items[i]);
        PyList_SET_ITEM(refs, i, d->refs.items[i]);
    }
    res = PyObject_CallFunctionObjArgs(d->callback, obj, refs, NULL);
    Py_DECREF(refs);
    if (res == NULL)
        return -1;
    if (!PyTuple_CheckExact(res) || PyTuple_GET_SIZE(res) != 3 ||
        !PyList_CheckExact(PyTuple_GET_ITEM(res, 1)) ||
        !PyList_CheckExact(PyTuple_GET_ITEM(res, 2)) ||
        PyList_GET_SIZE(PyTuple_GET_ITEM(res, 1)) !=
            PyList_GET_SIZE(PyTuple_GET_ITEM(res, 2))) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_RuntimeError, "graph dump: bad label callback");
        return -1;
    }
    node = PyTuple_GET_ITEM(res, 0);
    out_refs = PyTuple_GET_ITEM(res, 1);
    labels = PyTuple_GET_ITEM(res, 2);
    *node_sid = intern_text(d, node);
    if (*node_sid == -3) {
        Py_DECREF(res);
        return -1;
    }
    n = PyList_GET_SIZE(out_refs);
    for (i = 0; i < n; i++) {
        PyObject *target = PyList_GET_ITEM(out_refs, i);
        int sid;
        if (!edge_kept(d, target))
            continue; /* no label interned for an edge that goes */
        sid = intern_text(d, PyList_GET_ITEM(labels, i));
        if (sid == -3 || put_edge(d, target, sid) < 0) {
            Py_DECREF(res);
            return -1;
        }
    }
    Py_DECREF(res);
    return 0;
}

/* Edges whose labels need the referents only: none (sets, text NULL),
 * or one label for all (cells). */
static int dump_same_label(Dump *d, int *sid, const char *text)
{
    Py_ssize_t i;
    for (i = 0; i < d->refs.n; i++) {
        PyObject *target = d->refs.items[i];
        int label = -1;
        if (!edge_kept(d, target))
            continue;
        if (text != NULL && (label = lazy_sid(d, sid, text)) == -3)
            return -1;
        if (put_edge(d, target, label) < 0)
            return -1;
    }
    return 0;
}

static int dump_sequence(Dump *d, PyObject *obj, Py_ssize_t size,
                         PyObject **items, Py_ssize_t cap)
{
    Py_ssize_t i, n = d->refs.n;
    /* gc visits items last to first; with NULL slots (fewer referents than
     * items) positions are unknown: no labels. */
    int whole = n == size;
    for (i = 0; whole && i < n; i++)
        if (d->refs.items[i] != items[size - 1 - i])
            whole = 0;
    for (i = 0; i < n; i++) {
        PyObject *target = d->refs.items[i];
        int sid = -1;
        Py_ssize_t pos = size - 1 - i;
        if (!edge_kept(d, target))
            continue;
        if (whole && (cap < 0 || pos < cap)) {
            sid = index_label(d, pos);
            if (sid == -3)
                return -1;
        }
        if (put_edge(d, target, sid) < 0)
            return -1;
    }
    (void)obj;
    return 0;
}

/* An exact dict whose referents are its values in order (keys all exact
 * str); 1 when done, 0 when the labeller must do it. */
static int dump_plain_dict(Dump *d, PyObject *dict, int kind)
{
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    if (d->refs.n != PyDict_GET_SIZE(dict))
        return 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (i >= d->refs.n || d->refs.items[i] != value ||
            !PyUnicode_CheckExact(key))
            return 0;
        i++;
    }
    if (i != d->refs.n)
        return 0;
    pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        int sid;
        if (!edge_kept(d, value))
            continue;
        sid = key_label(d, key, kind);
        if (sid == -3 || put_edge(d, value, sid) < 0)
            return -1;
    }
    return 1;
}

/* The spec index of tp: -1 when its instances go to the labeller. */
static Py_ssize_t instance_spec(Dump *d, PyTypeObject *tp)
{
    int added;
    Slot *slot = ptrmap_put(&d->spec_index, tp, -2, &added);
    PyObject *spec, *slots, *names;
    struct InstanceSpec *is;
    Py_ssize_t i;
    if (slot == NULL)
        return -3;
    if (slot->value != -2)
        return slot->value;
    slot->value = -1;
    spec = PyObject_CallFunctionObjArgs(d->spec_for, (PyObject *)tp, NULL);
    if (spec == NULL)
        return -3;
    if (spec == Py_None) {
        Py_DECREF(spec);
        return -1;
    }
    if (!PyTuple_CheckExact(spec) || PyTuple_GET_SIZE(spec) != 2 ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(spec, 0)) ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(spec, 1)) ||
        PyList_Append(d->specs, spec) < 0) {
        Py_DECREF(spec);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "graph dump: bad spec");
        return -3;
    }
    Py_DECREF(spec); /* d->specs keeps it */
    slots = PyTuple_GET_ITEM(spec, 0);
    names = PyTuple_GET_ITEM(spec, 1);
    if (GROW(d->ispecs, d->cap_ispecs, d->n_ispecs) < 0) {
        PyErr_NoMemory();
        return -3;
    }
    is = &d->ispecs[d->n_ispecs];
    memset(is, 0, sizeof(*is));
    is->slots = (SlotSpec *)PyMem_RawCalloc(
        (size_t)PyTuple_GET_SIZE(slots) + 1, sizeof(SlotSpec));
    is->names = (NameSpec *)PyMem_RawCalloc(
        (size_t)PyTuple_GET_SIZE(names) + 1, sizeof(NameSpec));
    d->n_ispecs++;
    if (is->slots == NULL || is->names == NULL) {
        PyErr_NoMemory();
        return -3;
    }
    for (i = 0; i < PyTuple_GET_SIZE(slots); i++) {
        PyObject *pair = PyTuple_GET_ITEM(slots, i);
        PyObject *descr;
        PyMemberDef *def;
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2)
            continue;
        descr = PyTuple_GET_ITEM(pair, 0);
        if (Py_TYPE(descr) != &PyMemberDescr_Type)
            continue;
        def = ((PyMemberDescrObject *)descr)->d_member;
        /* Object members of a base of tp only: desc.__get__ fails on
         * others, and other member kinds hold no object. */
        if (def == NULL || (def->type != T_OBJECT_EX && def->type != T_OBJECT) ||
            ((PyDescrObject *)descr)->d_type == NULL ||
            !PyType_IsSubtype(tp, ((PyDescrObject *)descr)->d_type) ||
            def->offset <= 0 || def->offset + (Py_ssize_t)sizeof(PyObject *) >
                                     tp->tp_basicsize)
            continue;
        is->slots[is->n_slots].offset = def->offset;
        is->slots[is->n_slots].label = PyTuple_GET_ITEM(pair, 1);
        is->slots[is->n_slots].sid = -2;
        is->n_slots++;
    }
    for (i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *pair = PyTuple_GET_ITEM(names, i);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !PyUnicode_CheckExact(PyTuple_GET_ITEM(pair, 0)))
            continue;
        is->names[is->n_names].name = PyTuple_GET_ITEM(pair, 0);
        is->names[is->n_names].label = PyTuple_GET_ITEM(pair, 1);
        is->names[is->n_names].sid = -2;
        is->n_names++;
    }
    {
        /* Both pair arrays share one capacity: the second grows on a copy
         * of the first's old one. */
        Py_ssize_t need = is->n_slots + is->n_names + 1, cap = d->cap_pairs;
        if (grow_to((void **)&d->pair_values, &d->cap_pairs, need,
                    sizeof(PyObject *), 16) < 0 ||
            grow_to((void **)&d->pair_labels, &cap, need, sizeof(LazyLabel),
                    16) < 0) {
            PyErr_NoMemory();
            return -3;
        }
    }
    slot = ptrmap_put(&d->spec_index, tp, -2, &added);
    if (slot == NULL)
        return -3;
    slot->value = d->n_ispecs - 1;
    return slot->value;
}

/* The string id of a pair's label, interned on first use; -3 on error. */
static int pair_sid(Dump *d, const LazyLabel *l)
{
    if (*l->sid == -2)
        *l->sid = l->label != NULL ? intern_text(d, l->label)
                                   : intern_utf8(d, l->text);
    return *l->sid;
}

/* The instance dicts, by their nodes' positions (dicts that are no node
 * are never dumped: not kept). */
static void mark_instance_dict(Dump *d, PyObject *dict)
{
    Py_ssize_t k = nodeset_index(&d->nodes, dict);
    if (k >= 0)
        d->instance_dicts[k >> 3] |= (uint8_t)(1u << (k & 7));
}

static int is_instance_dict(const Dump *d, PyObject *dict)
{
    Py_ssize_t k = nodeset_index(&d->nodes, dict);
    return k >= 0 && (d->instance_dicts[k >> 3] >> (k & 7)) & 1;
}

/* mark_instance_dict for each id (int) of an iterable. */
static int mark_instance_dict_ids(Dump *d, PyObject *ids)
{
    PyObject *it = PyObject_GetIter(ids), *item;
    if (it == NULL)
        return -1;
    while ((item = PyIter_Next(it)) != NULL) {
        void *p = PyLong_AsVoidPtr(item);
        Py_DECREF(item);
        if (p == NULL && PyErr_Occurred())
            break;
        if (p != NULL)
            mark_instance_dict(d, (PyObject *)p);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static int dump_instance(Dump *d, PyObject *obj, struct InstanceSpec *is)
{
    Py_ssize_t n_pairs = 0, n_owned, i, j;
    int dict_done = 0, rc = 0;
    for (i = 0; i < is->n_slots; i++) {
        PyObject *v = *(PyObject **)((char *)obj + is->slots[i].offset);
        if (v == NULL || v == Py_None)
            continue;
        Py_INCREF(v);
        d->pair_values[n_pairs] = v;
        d->pair_labels[n_pairs].label = is->slots[i].label;
        d->pair_labels[n_pairs++].sid = &is->slots[i].sid;
    }
    for (i = 0; i < is->n_names; i++) {
        PyObject *v = _PyObject_GenericGetAttrWithDict(obj, is->names[i].name,
                                                       NULL, 1);
        if (v == NULL) {
            if (PyErr_Occurred())
                PyErr_Clear();
            continue;
        }
        if (v == Py_None) {
            Py_DECREF(v);
            continue;
        }
        d->pair_values[n_pairs] = v;
        d->pair_labels[n_pairs].label = is->names[i].label;
        d->pair_labels[n_pairs++].sid = &is->names[i].sid;
    }
    n_owned = n_pairs;
    d->pair_values[n_pairs] = (PyObject *)Py_TYPE(obj);
    d->pair_labels[n_pairs].label = NULL;
    d->pair_labels[n_pairs].text = "__class__";
    d->pair_labels[n_pairs++].sid = &d->sid_class;
    for (i = 0; i < d->refs.n && rc == 0; i++) {
        PyObject *t = d->refs.items[i];
        const LazyLabel *label = NULL;
        int sid = -1;
        for (j = 0; j < n_pairs; j++)
            if (d->pair_values[j] == t) {
                label = &d->pair_labels[j];
                break;
            }
        if (label == NULL && !dict_done && Py_TYPE(t) == &PyDict_Type) {
            dict_done = 1;
            /* its kind is known from here on, kept edge or not */
            mark_instance_dict(d, t);
            if (edge_kept(d, t) &&
                (lazy_sid(d, &d->sid_dict, "__dict__") == -3 ||
                 put_edge(d, t, d->sid_dict) < 0))
                rc = -1;
            continue;
        }
        if (!edge_kept(d, t))
            continue;
        if (label != NULL && (sid = pair_sid(d, label)) == -3)
            rc = -1;
        else if (put_edge(d, t, sid) < 0)
            rc = -1;
    }
    for (j = 0; j < n_owned; j++)
        Py_DECREF(d->pair_values[j]);
    return rc;
}

#define N_STREAMS 7

static void dump_streams(Dump *d, Stream **out)
{
    out[0] = &d->ids;
    out[1] = &d->szs;
    out[2] = &d->flags;
    out[3] = &d->offsets;
    out[4] = &d->targets;
    out[5] = &d->node_labels;
    out[6] = &d->edge_labels;
}

static const char *const stream_names[N_STREAMS] = {
    "ids", "sizes", "flags", "edge_offsets", "edge_targets", "node_labels",
    "edge_labels"};

/* Compresses the full chunks (between nodes only, see Stream). */
static int dump_flush(Dump *d, int final)
{
    Stream *streams[N_STREAMS];
    int k;
    dump_streams(d, streams);
    for (k = 0; k < N_STREAMS; k++)
        if (stream_flush(streams[k], final) < 0)
            return -1;
    return 0;
}

static int dump_node(Dump *d, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    uint64_t id = (uint64_t)(uintptr_t)obj;
    uint8_t flag = 0;
    int node_sid = -1;
    Py_ssize_t size;
    int added;
    Slot *tslot;
    TypeEntry *te;
    if (dump_flush(d, 0) < 0 || put_u32(&d->offsets.buf, d->edge_count) < 0)
        return -1;
    d->refs.n = 0;
    if (tp->tp_traverse != NULL)
        tp->tp_traverse(obj, collect_ref, &d->refs);
    if (d->refs.failed) {
        PyErr_NoMemory();
        return -1;
    }
    if (tp == &PyList_Type) {
        node_sid = len_label(d, 1, PyList_GET_SIZE(obj));
        if (node_sid == -3 ||
            dump_sequence(d, obj, PyList_GET_SIZE(obj),
                          ((PyListObject *)obj)->ob_item, d->list_cap) < 0)
            return -1;
    } else if (tp == &PyTuple_Type) {
        node_sid = len_label(d, 2, PyTuple_GET_SIZE(obj));
        if (node_sid == -3 ||
            dump_sequence(d, obj, PyTuple_GET_SIZE(obj),
                          ((PyTupleObject *)obj)->ob_item, d->tuple_cap) < 0)
            return -1;
    } else if (tp == &PyDict_Type && !in_map(&d->module_dicts, obj)) {
        int kind = is_instance_dict(d, obj) ? 2 : 0;
        int done = dump_plain_dict(d, obj, kind);
        if (done < 0)
            return -1;
        if (done) {
            node_sid = len_label(d, 3, PyDict_GET_SIZE(obj));
            if (node_sid == -3)
                return -1;
        } else if (dump_by_callback(d, obj, &node_sid) < 0) {
            return -1;
        }
    } else if (tp == &PySet_Type || tp == &PyFrozenSet_Type) {
        node_sid = len_label(d, tp == &PySet_Type ? 4 : 5, PySet_GET_SIZE(obj));
        if (node_sid == -3 || dump_same_label(d, NULL, NULL) < 0)
            return -1;
    } else if (tp == &PyCell_Type) {
        if (dump_same_label(d, &d->sid_cell, "cell_contents") < 0)
            return -1;
    } else if (tp == &PyMethod_Type) {
        PyObject *func = PyMethod_GET_FUNCTION(obj);
        PyObject *self = PyMethod_GET_SELF(obj);
        Py_ssize_t i;
        /* the node label names the function: the labeller's */
        if (!PyFunction_Check(func)) {
            node_sid = -1;
        } else {
            PyObject *q = ((PyFunctionObject *)func)->func_qualname;
            PyObject *text = (q && PyUnicode_CheckExact(q))
                ? PyUnicode_FromFormat("method %U", q)
                : PyUnicode_FromString("method ?");
            if (text == NULL)
                return -1;
            node_sid = intern_text(d, text);
            Py_DECREF(text);
            if (node_sid == -3)
                return -1;
        }
        for (i = 0; i < d->refs.n; i++) {
            PyObject *t = d->refs.items[i];
            int sid = -1;
            if (!edge_kept(d, t))
                continue;
            if (t != Py_None && t == func)
                sid = lazy_sid(d, &d->sid_func, "__func__");
            else if (t != Py_None && t == self)
                sid = lazy_sid(d, &d->sid_self, "__self__");
            if (sid == -3 || put_edge(d, t, sid) < 0)
                return -1;
        }
    } else {
        Py_ssize_t spec = d->spec_for == Py_None ? -1 : instance_spec(d, tp);
        if (spec == -3)
            return -1;
        if (spec >= 0) {
            if (dump_instance(d, obj, &d->ispecs[spec]) < 0)
                return -1;
        } else if (dump_by_callback(d, obj, &node_sid) < 0) {
            return -1;
        }
    }
    if (node_sid == -3)
        return -1;
    /* type, size, flags */
    tslot = ptrmap_put(&d->types, tp, PyList_GET_SIZE(d->type_list), &added);
    if (tslot == NULL)
        return -1;
    if (added && PyList_Append(d->type_list, (PyObject *)tp) < 0)
        return -1;
    te = typetable_get(&d->sizes, tp, obj);
    if (te == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size = entry_size(te, obj);
    if (size < 0)
        size = 0;
    if ((size_t)size > 0xFFFFFFFFu)
        size = (Py_ssize_t)0xFFFFFFFFu;
    if (PyType_Check(obj))
        flag |= CLASS_ROOT;
    if (in_map(&d->frames, obj))
        flag |= THREAD_FRAME;
    if (in_map(&d->modules, obj))
        flag |= MODULE_ROOT;
    /* At most one node per listed object: within the bytes' size. */
    ((int32_t *)PyBytes_AS_STRING(d->tps))[d->node_count] =
        (int32_t)tslot->value;
    if (buf_put(&d->ids.buf, &id, 8) < 0 ||
        put_u32(&d->szs.buf, (uint32_t)size) < 0 ||
        buf_put(&d->flags.buf, &flag, 1) < 0 ||
        put_i32(&d->node_labels.buf, node_sid) < 0)
        return -1;
    d->node_count++;
    return 0;
}

static int add_ids(PtrMap *m, PyObject *ids);

/* A pointer set from an iterable of ids (ints). */
static int map_from_ids(PtrMap *m, PyObject *ids)
{
    Py_ssize_t n = PyObject_Length(ids);
    if (n < 0)
        return -1;
    if (ptrmap_init(m, (size_t)n) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return add_ids(m, ids);
}

/* The ids (ints) of an iterable added to a pointer set. */
static int add_ids(PtrMap *m, PyObject *ids)
{
    PyObject *it, *item;
    it = PyObject_GetIter(ids);
    if (it == NULL)
        return -1;
    while ((item = PyIter_Next(it)) != NULL) {
        void *p = PyLong_AsVoidPtr(item);
        int added;
        Py_DECREF(item);
        if (p == NULL && PyErr_Occurred())
            break;
        if (p != NULL && ptrmap_put(m, p, 1, &added) == NULL) {
            PyErr_NoMemory();
            break;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* What the pass looks things up in, freed (dump_free frees it too). */
static void dump_free_tables(Dump *d)
{
    int k;
    ptrmap_free(&d->skip);
    ptrmap_free(&d->skip_types);
    ptrmap_free(&d->modules);
    ptrmap_free(&d->frames);
    ptrmap_free(&d->module_dicts);
    PyMem_RawFree(d->instance_dicts);
    d->instance_dicts = NULL;
    ptrmap_free(&d->nodes.pages);
    ptrmap_free(&d->types);
    ptrmap_free(&d->len_labels);
    for (k = 0; k < 3; k++)
        ptrmap_free(&d->key_labels[k]);
    PyMem_RawFree(d->index_sids);
    d->index_sids = NULL;
    PyMem_RawFree(d->intern);
    d->intern = NULL;
    d->intern_mask = 0;
    PyMem_RawFree(d->refs.items);
    d->refs.items = NULL;
    d->refs.cap = d->refs.n = 0;
}

static void dump_free(Dump *d)
{
    int k;
    dump_free_tables(d);
    typetable_free(&d->sizes);
    ptrmap_free(&d->spec_index);
    for (k = 0; k < d->n_ispecs; k++) {
        PyMem_RawFree(d->ispecs[k].slots);
        PyMem_RawFree(d->ispecs[k].names);
    }
    PyMem_RawFree(d->ispecs);
    PyMem_RawFree(d->pair_values);
    PyMem_RawFree(d->pair_labels);
    Py_XDECREF(d->specs);
    Py_XDECREF(d->type_list);
    Py_CLEAR(d->tps);
    buf_free(&d->text_data);
    buf_free(&d->text_ends);
    {
        Stream *streams[N_STREAMS];
        dump_streams(d, streams);
        for (k = 0; k < N_STREAMS; k++)
            stream_free(streams[k]);
    }
}

/* graph_dump(objs, callback, spec_for, skip, skip_types, modules,
 *            frames, module_dicts, instance_dicts, level, list_cap,
 *            tuple_cap)
 * -> dict: "ids", "sizes", "flags", "edge_offsets", "edge_targets",
 * "node_labels", "edge_labels" (zlib streams of the arrays in native order
 * at the given zlib level; the raw arrays when level < 0), "types" (raw
 * int32 indices into "type_list", the types), "strings" (the labels, every
 * one used, as (their UTF-8 bytes end to end, a uint32 per label: where it
 * ends), encoded with "surrogatepass"), "node_count", "edge_count".
 * objs: the listed objects, sorted
 * here in place by address; the nodes are those not skipped, exact dicts
 * after every other node (their kind -- instance namespace or not -- is
 * known only then); an edge to anything else goes. instance_dicts is a set
 * the callback fills. Caps < 0: no cap. */
static PyObject *graph_dump(PyObject *self, PyObject *args)
{
    Dump d;
    PyObject *objs, *skip, *skip_types, *modules, *frames, *module_dicts;
    PyObject *instance_dicts, *zlib = NULL;
    PyObject *result = NULL;
    Stream *streams[N_STREAMS];
    int level, pass, k;
    Py_ssize_t i, n;
    (void)self;
    memset(&d, 0, sizeof(d));
    if (!PyArg_ParseTuple(args, "O!OOOOOOOOinn", &PyList_Type, &objs,
                          &d.callback, &d.spec_for, &skip, &skip_types,
                          &modules, &frames,
                          &module_dicts, &instance_dicts, &level,
                          &d.list_cap, &d.tuple_cap))
        return NULL;
    d.sid_cell = d.sid_func = d.sid_self = d.sid_class = d.sid_dict = -2;
    d.type_list = PyList_New(0);
    if (d.type_list == NULL)
        return NULL;
    d.specs = PyList_New(0);
    if (d.specs == NULL)
        goto fail;
    if (level >= 0) {
        zlib = PyImport_ImportModule("zlib");
        if (zlib == NULL)
            goto fail;
    }
    dump_streams(&d, streams);
    for (k = 0; k < N_STREAMS; k++)
        if (stream_init(streams[k], zlib, level) < 0)
            goto fail;
    Py_CLEAR(zlib);
    if (map_from_ids(&d.skip, skip) < 0 ||
        map_from_ids(&d.skip_types, skip_types) < 0 ||
        map_from_ids(&d.modules, modules) < 0 ||
        map_from_ids(&d.frames, frames) < 0 ||
        map_from_ids(&d.module_dicts, module_dicts) < 0)
        goto fail;
    if (ptrmap_init(&d.types, 256) < 0 || ptrmap_init(&d.len_labels, 256) < 0 ||
        ptrmap_init(&d.spec_index, 256) < 0 ||
        typetable_init(&d.sizes) < 0)
        goto nomem;
    for (k = 0; k < 3; k++)
        if (ptrmap_init(&d.key_labels[k], 1024) < 0)
            goto nomem;
    n = PyList_GET_SIZE(objs);
    /* Types stay raw (the file renumbers them): one bytes object made at
     * its largest size (its pages are touched as nodes fill it) and cut
     * to the nodes' count at the end, never copied. */
    if ((size_t)n > (size_t)PY_SSIZE_T_MAX / 4)
        goto nomem;
    d.tps = PyBytes_FromStringAndSize(NULL, n * 4);
    if (d.tps == NULL)
        goto fail;
    /* Without compression the arrays are kept whole: reserved at once. */
    if (level < 0 &&
        (buf_reserve(&d.ids.buf, (size_t)n * 8) < 0 ||
         buf_reserve(&d.szs.buf, (size_t)n * 4) < 0 ||
         buf_reserve(&d.flags.buf, (size_t)n) < 0 ||
         buf_reserve(&d.offsets.buf, (size_t)n * 4 + 4) < 0 ||
         buf_reserve(&d.node_labels.buf, (size_t)n * 4) < 0))
        goto nomem;
    if (nodeset_init(&d.nodes, objs) < 0)
        goto nomem;
    /* A bit per node (a map entry per instance dict took 16 to 32 bytes
     * each where every instance has its own dict, before 3.11). */
    d.instance_dicts = (uint8_t *)PyMem_RawCalloc((size_t)n / 8 + 1, 1);
    if (d.instance_dicts == NULL)
        goto nomem;
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1 && mark_instance_dict_ids(&d, instance_dicts) < 0)
            goto fail;
        /* objs may not change: the callback only labels */
        for (i = 0; i < PyList_GET_SIZE(objs); i++) {
            PyObject *obj = PyList_GET_ITEM(objs, i);
            int is_dict = Py_TYPE(obj) == &PyDict_Type;
            if (is_dict != pass)
                continue;
            /* The agent's own objects are no nodes. */
            if (in_map(&d.skip, obj) || in_map(&d.skip_types, Py_TYPE(obj)))
                continue;
            if (dump_node(&d, obj) < 0) {
                if (!PyErr_Occurred())
                    PyErr_NoMemory();
                goto fail;
            }
        }
    }
    if (put_u32(&d.offsets.buf, d.edge_count) < 0)
        goto nomem;
    /* The lookup tables are done with: their memory goes before the
     * streams are joined (the peak). */
    dump_free_tables(&d);
    result = PyDict_New();
    if (result == NULL)
        goto fail;
    for (k = 0; k < N_STREAMS; k++) {
        PyObject *bytes = stream_take(streams[k]);
        if (bytes == NULL ||
            PyDict_SetItemString(result, stream_names[k], bytes) < 0) {
            Py_XDECREF(bytes);
            goto fail;
        }
        Py_DECREF(bytes);
    }
    {
        PyObject *types;
        if (_PyBytes_Resize(&d.tps, (Py_ssize_t)d.node_count * 4) < 0)
            goto fail; /* d.tps is NULL then */
        types = d.tps;
        d.tps = NULL;
        PyObject *nodes = PyLong_FromSsize_t(d.node_count);
        PyObject *edges = PyLong_FromUnsignedLong(d.edge_count);
        int bad = types == NULL || nodes == NULL || edges == NULL ||
                  PyDict_SetItemString(result, "types", types) < 0 ||
                  PyDict_SetItemString(result, "node_count", nodes) < 0 ||
                  PyDict_SetItemString(result, "edge_count", edges) < 0;
        Py_XDECREF(types);
        Py_XDECREF(nodes);
        Py_XDECREF(edges);
        if (bad)
            goto fail;
    }
    if (PyDict_SetItemString(result, "type_list", d.type_list) < 0)
        goto fail;
    {
        /* The texts as (UTF-8 bytes end to end, uint32 end of each). */
        PyObject *data = buf_take(&d.text_data);
        PyObject *ends = buf_take(&d.text_ends);
        PyObject *pair = (data && ends) ? PyTuple_Pack(2, data, ends) : NULL;
        int bad = pair == NULL ||
                  PyDict_SetItemString(result, "strings", pair) < 0;
        Py_XDECREF(data);
        Py_XDECREF(ends);
        Py_XDECREF(pair);
        if (bad)
            goto fail;
    }
    dump_free(&d);
    return result;
nomem:
    PyErr_NoMemory();
fail:
    Py_XDECREF(zlib);
    Py_XDECREF(result);
    dump_free(&d);
    return NULL;
}

/* Payload sizes: sys.getsizeof of the items whose type is exactly str,
 * bytes, bytearray, int or float, or an untracked tuple (as _containers.
 * _payload_of sums them), through their types' C __sizeof__. */
static PyTypeObject *const payload_types[] = {
    &PyUnicode_Type, &PyBytes_Type, &PyByteArray_Type, &PyLong_Type,
    &PyFloat_Type, &PyTuple_Type};
#define N_PAYLOAD_TYPES 6
static PyCFunction payload_meths[N_PAYLOAD_TYPES];
/* How many sampled items ahead payload() asks the memory for. */
#define PAYLOAD_AHEAD 8
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch((const void *)(p))
#else
#define PREFETCH(p) ((void)0)
#endif
static Py_ssize_t payload_headers[N_PAYLOAD_TYPES];

static Py_ssize_t payload_size(PyObject *item)
{
    PyTypeObject *tp = Py_TYPE(item);
    int k;
    Py_ssize_t s;
    for (k = 0; k < N_PAYLOAD_TYPES; k++)
        if (tp == payload_types[k])
            break;
    if (k == N_PAYLOAD_TYPES || payload_meths[k] == NULL)
        return 0;
    if (tp == &PyTuple_Type && is_tracked(item))
        return 0;
    s = call_sizeof(payload_meths[k], item);
    return s < 0 ? 0 : s + payload_headers[k];
}

/* No NULL slot among a list's items (a list being filled has some). */
static int list_whole(PyObject *list)
{
    PyObject **items = ((PyListObject *)list)->ob_item;
    Py_ssize_t i, n = PyList_GET_SIZE(list);
    for (i = 0; i < n; i++)
        if (items[i] == NULL)
            return 0;
    return 1;
}

/* The globals of module namespaces: for_each_global() calls fn for each
 * exact str key of each exact dict of spaces (a list), in namespace and
 * dict order; fn returns 0 to go on, -1 on an error (set), which stops the
 * walk. module_globals and globals_holding share it. */
typedef int (*GlobalFn)(void *ctx, Py_ssize_t index, PyObject *key,
                        PyObject *value);

static int for_each_global(PyObject *spaces, GlobalFn fn, void *ctx)
{
    Py_ssize_t i;
    for (i = 0; i < PyList_GET_SIZE(spaces); i++) {
        PyObject *ns = PyList_GET_ITEM(spaces, i), *key, *value;
        Py_ssize_t pos = 0;
        if (!PyDict_CheckExact(ns))
            continue;
        while (PyDict_Next(ns, &pos, &key, &value)) {
            if (!PyUnicode_CheckExact(key))
                continue;
            if (fn(ctx, i, key, value) < 0)
                return -1;
        }
    }
    return 0;
}

/* Appends (index, key, value) to result. */
static int append_global(PyObject *result, Py_ssize_t index, PyObject *key,
                         PyObject *value)
{
    PyObject *t = Py_BuildValue("(nOO)", index, key, value);
    int rc = t == NULL ? -1 : PyList_Append(result, t);
    Py_XDECREF(t);
    return rc;
}

typedef struct {
    PyObject *result;
    Py_ssize_t min_bytes;
} GlobalsCtx;

static int global_wanted(void *arg, Py_ssize_t index, PyObject *key,
                         PyObject *value)
{
    GlobalsCtx *c = (GlobalsCtx *)arg;
    PyTypeObject *tp = Py_TYPE(value);
    int k, want = 0;
    if (PyDict_Check(value)) {
        want = !is_tracked(value);
    } else {
        for (k = 0; k < 3; k++)
            if (tp == payload_types[k])
                break;
        if (k < 3 && !(PyUnicode_GET_LENGTH(key) >= 2 &&
                       PyUnicode_READ_CHAR(key, 0) == '_' &&
                       PyUnicode_READ_CHAR(key, 1) == '_'))
            want = payload_size(value) >= c->min_bytes;
    }
    return want ? append_global(c->result, index, key, value) : 0;
}

/* module_globals(namespaces, min_bytes) -> [(index, key, value)]: the
 * globals _containers._module_globals looks at, found in C: exact str
 * keys whose value is an exact str, bytes or bytearray of at least
 * min_bytes (keys not starting with "__"), or an untracked dict (or
 * subclass instance). */
static PyObject *module_globals(PyObject *self, PyObject *args)
{
    PyObject *spaces;
    GlobalsCtx c;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &spaces, &c.min_bytes))
        return NULL;
    c.result = PyList_New(0);
    if (c.result != NULL && for_each_global(spaces, global_wanted, &c) < 0)
        Py_CLEAR(c.result);
    return c.result;
}

typedef struct {
    PyObject *result;
    PtrMap want;
} HoldingCtx;

static int global_holding(void *arg, Py_ssize_t index, PyObject *key,
                          PyObject *value)
{
    HoldingCtx *c = (HoldingCtx *)arg;
    Slot *hit = ptrmap_find(&c->want, value);
    PyObject *t;
    int rc;
    if (hit == NULL)
        return 0;
    t = Py_BuildValue("(nOn)", index, key, hit->value);
    rc = t == NULL ? -1 : PyList_Append(c->result, t);
    Py_XDECREF(t);
    return rc;
}

/* globals_holding(namespaces, targets) -> [(index, key, target index)]:
 * the globals (exact str keys) of the namespaces whose value is one of
 * targets (by identity), in namespace and dict order. */
static PyObject *globals_holding(PyObject *self, PyObject *args)
{
    PyObject *spaces, *targets;
    HoldingCtx c;
    Py_ssize_t i;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &spaces, &PyList_Type,
                          &targets))
        return NULL;
    if (ptrmap_init(&c.want, (size_t)PyList_GET_SIZE(targets)) < 0)
        return PyErr_NoMemory();
    for (i = 0; i < PyList_GET_SIZE(targets); i++) {
        int added;
        if (ptrmap_put(&c.want, PyList_GET_ITEM(targets, i), i, &added) == NULL) {
            ptrmap_free(&c.want);
            return PyErr_NoMemory();
        }
    }
    c.result = PyList_New(0);
    if (c.result != NULL && for_each_global(spaces, global_holding, &c) < 0)
        Py_CLEAR(c.result);
    ptrmap_free(&c.want);
    return c.result;
}

/* instance_values(namespaces, frames, skip ids, targets, bases, package,
 * box_limit, limit, depth, budget seconds, split dicts)
 * -> (found, owners, visited, out of time): _containers._instance_values'
 * walk in C. From the plain instances (classes written in Python, not
 * containers, types, modules nor the agent's) held by the namespaces'
 * values, by their exact list, dict, set, deque and tuple values of at
 * most box_limit items, and (after the first namespace) by the frames,
 * it follows instances' referents (tp_traverse) breadth first, at most
 * depth levels and limit instances, within the budget. found: [(bytearray,
 * instance, its __dict__ or None)] met in an instance's referents (or in
 * its __dict__ with split dicts, before 3.11); owners: [(target index,
 * instance, __dict__ or None)]: the first instance met holding each
 * target container. No program code runs, nothing is allocated until the
 * walk is over. */
typedef struct {
    PyObject *inst;
    PyObject *ns; /* its __dict__ (split dicts), or NULL */
} Holder;

typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
} ObjArr;

typedef struct {
    PyObject *value;
    Py_ssize_t holder;
} FoundValue;

typedef struct {
    struct Containers ct; /* bases only */
    PyObject *package;
    PtrMap plain;         /* type -> its KIND_ */
    PtrMap seen;          /* instances visited, and the skipped ids */
    PtrMap owners;        /* container -> holder index, or -1 */
    Holder *holders;
    Py_ssize_t n_holders, cap_holders;
    FoundValue *found;
    Py_ssize_t n_found, cap_found;
    ObjArr level, next;
    Refs refs;
    int failed;
} Walk;

static int arr_push(ObjArr *a, PyObject *obj)
{
    if (GROW(a->items, a->cap, a->n) < 0)
        return -1;
    a->items[a->n++] = obj;
    return 0;
}

/* The name of tp's module is package or inside it (read from tp's own
 * dict by exact str keys, no lookup that could compare a program's key). */
static int type_is_ours(PyTypeObject *tp, PyObject *package)
{
    PyObject *dict = type_dict(tp), *key, *value;
    Py_ssize_t pos = 0, n = PyUnicode_GET_LENGTH(package);
    int ours = 0;
    if (dict == NULL)
        return 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key) ||
            PyUnicode_CompareWithASCIIString(key, "__module__") != 0)
            continue;
        if (PyUnicode_Check(value) &&
            PyUnicode_Tailmatch(value, package, 0, n, -1) == 1 &&
            (PyUnicode_GET_LENGTH(value) == n ||
             PyUnicode_READ_CHAR(value, n) == '.'))
            ours = 1;
        break;
    }
    if (PyErr_Occurred())
        PyErr_Clear();
    Py_DECREF(dict);
    return ours;
}

/* What the walk does with an instance of a type, found once per type. */
enum { KIND_OTHER = 1, KIND_PLAIN = 2, KIND_CONTAINER = 3 };

static int walk_kind(Walk *w, PyTypeObject *tp)
{
    Slot *known = ptrmap_find(&w->plain, tp);
    int kind, added;
    if (known != NULL)
        return (int)known->value;
    if (container_base(&w->ct, tp) >= 0)
        kind = KIND_CONTAINER;
    else if (PyType_HasFeature(tp, Py_TPFLAGS_HEAPTYPE) &&
             !PyType_IsSubtype(tp, &PyType_Type) &&
             !PyType_IsSubtype(tp, &PyModule_Type) &&
             !type_is_ours(tp, w->package))
        kind = KIND_PLAIN; /* as _containers._is_plain_class */
    else
        kind = KIND_OTHER;
    if (ptrmap_put(&w->plain, tp, kind, &added) == NULL)
        w->failed = 1;
    return kind;
}

static int walk_plain(Walk *w, PyObject *obj)
{
    return walk_kind(w, Py_TYPE(obj)) == KIND_PLAIN;
}

static int walk_is_box(PyObject *obj, Py_ssize_t limit)
{
    PyTypeObject *tp = Py_TYPE(obj);
    Py_ssize_t n;
    if (tp == &PyList_Type)
        n = PyList_GET_SIZE(obj);
    else if (tp == &PyDict_Type)
        n = PyDict_GET_SIZE(obj);
    else if (tp == &PySet_Type)
        n = PySet_GET_SIZE(obj);
    else if (tp == &PyTuple_Type)
        n = PyTuple_GET_SIZE(obj);
    else if (strcmp(tp->tp_name, "collections.deque") == 0 &&
             !PyType_HasFeature(tp, Py_TPFLAGS_HEAPTYPE))
        n = Py_SIZE(obj); /* deque keeps its length in ob_size */
    else
        return 0;
    return n <= limit;
}

/* obj's referents in w->refs (replacing what was there); -1: no memory. */
static int walk_refs(Walk *w, PyObject *obj)
{
    traverseproc traverse = Py_TYPE(obj)->tp_traverse;
    w->refs.n = 0;
    if (traverse != NULL && PyObject_IS_GC(obj))
        traverse(obj, collect_ref, &w->refs);
    return w->refs.failed ? -1 : 0;
}

/* The plain instances among obj's referents onto w->level. */
static void walk_plain_refs(Walk *w, PyObject *obj)
{
    Py_ssize_t i;
    if (walk_refs(w, obj) < 0) {
        w->failed = 1;
        return;
    }
    for (i = 0; i < w->refs.n && !w->failed; i++)
        if (walk_plain(w, w->refs.items[i]) &&
            arr_push(&w->level, w->refs.items[i]) < 0)
            w->failed = 1;
}

static Py_ssize_t walk_holder(Walk *w, PyObject *inst, PyObject *ns)
{
    if (GROW(w->holders, w->cap_holders, w->n_holders) < 0) {
        w->failed = 1;
        return -1;
    }
    w->holders[w->n_holders].inst = inst;
    w->holders[w->n_holders].ns = ns;
    return w->n_holders++;
}

static void walk_found(Walk *w, PyObject *value, Py_ssize_t holder)
{
    if (GROW(w->found, w->cap_found, w->n_found) < 0) {
        w->failed = 1;
        return;
    }
    w->found[w->n_found].value = value;
    w->found[w->n_found++].holder = holder;
}

/* owners.setdefault(container, holder) */
static void walk_owner(Walk *w, PyObject *container, Py_ssize_t holder)
{
    int added;
    if (in_map(&w->owners, container))
        return;
    if (ptrmap_put(&w->owners, container, holder, &added) == NULL)
        w->failed = 1;
}

/* One value met in an instance's referents (or split __dict__). */
static void walk_value(Walk *w, PyObject *v, Py_ssize_t *holder,
                       PyObject *inst, PyObject *ns)
{
    PyTypeObject *tp = Py_TYPE(v);
    int kind;
    if (tp == &PyByteArray_Type) {
        if (*holder < 0)
            *holder = walk_holder(w, inst, ns);
        walk_found(w, v, *holder);
        return;
    }
    kind = walk_kind(w, tp);
    if (kind == KIND_CONTAINER) {
        if (*holder < 0)
            *holder = walk_holder(w, inst, ns);
        walk_owner(w, v, *holder);
    } else if (kind == KIND_PLAIN) {
        if (arr_push(&w->next, v) < 0)
            w->failed = 1;
    }
}

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static PyObject *holder_tuple(const Walk *w, Py_ssize_t h, const char *fmt,
                              PyObject *first_obj, Py_ssize_t first_n)
{
    PyObject *ns = w->holders[h].ns != NULL ? w->holders[h].ns : Py_None;
    if (first_obj != NULL)
        return Py_BuildValue(fmt, first_obj, w->holders[h].inst, ns);
    return Py_BuildValue(fmt, first_n, w->holders[h].inst, ns);
}

static PyObject *instance_values(PyObject *self, PyObject *args)
{
    PyObject *spaces, *frames, *skip, *targets, *bases, *package;
    PyObject *found = NULL, *owners = NULL, *result = NULL;
    Py_ssize_t box_limit, limit, depth, visited = 0, i, j, level_no;
    double budget, deadline;
    int split, out_of_time = 0, stop = 0, held = 0;
    Walk w;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!OO!O!Unnndp", &PyList_Type, &spaces,
                          &PyList_Type, &frames, &skip, &PyList_Type,
                          &targets, &PyTuple_Type, &bases, &package,
                          &box_limit, &limit, &depth, &budget, &split))
        return NULL;
    memset(&w, 0, sizeof(w));
    deadline = monotonic_seconds() + budget;
    if (PyTuple_GET_SIZE(bases) > N_BASES) {
        PyErr_SetString(PyExc_ValueError, "instance_values: bad bases");
        return NULL;
    }
    for (j = 0; j < PyTuple_GET_SIZE(bases); j++) {
        if (!PyType_Check(PyTuple_GET_ITEM(bases, j))) {
            PyErr_SetString(PyExc_TypeError, "instance_values: bad bases");
            return NULL;
        }
        w.ct.bases[j] = (PyTypeObject *)PyTuple_GET_ITEM(bases, j);
    }
    w.ct.n_bases = (int)PyTuple_GET_SIZE(bases);
    w.package = package;
    if (ptrmap_init(&w.plain, 256) < 0 || ptrmap_init(&w.seen, 1024) < 0 ||
        ptrmap_init(&w.owners, 1024) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (add_ids(&w.seen, skip) < 0)
        goto done;
    /* The first level: the namespaces' plain values and those of their
     * small containers, and after the first namespace the frames'. */
    for (i = 0; i < PyList_GET_SIZE(spaces) && !w.failed; i++) {
        PyObject *ns = PyList_GET_ITEM(spaces, i), *key, *value;
        Py_ssize_t pos = 0;
        /* The first namespace (__main__) always: the caller's work before
         * this call (its namespaces, its frames) may have used the budget
         * up, which the pure-Python walk spends after its first check. */
        if (i > 0 && monotonic_seconds() > deadline) {
            out_of_time = 1;
            break;
        }
        if (!PyDict_CheckExact(ns))
            continue;
        while (PyDict_Next(ns, &pos, &key, &value) && !w.failed)
            if (walk_plain(&w, value) && arr_push(&w.level, value) < 0)
                w.failed = 1;
        pos = 0;
        while (PyDict_Next(ns, &pos, &key, &value) && !w.failed)
            if (walk_is_box(value, box_limit))
                walk_plain_refs(&w, value);
        if (i == 0)
            for (j = 0; j < PyList_GET_SIZE(frames) && !w.failed; j++)
                walk_plain_refs(&w, PyList_GET_ITEM(frames, j));
    }
    for (level_no = 0; level_no < depth && w.level.n > 0 && !w.failed &&
                       !stop; level_no++) {
        ObjArr tmp;
        w.next.n = 0;
        for (i = 0; i < w.level.n && !w.failed; i++) {
            PyObject *inst = w.level.items[i];
            Py_ssize_t holder = -1, n_refs, k;
            int added;
            if (in_map(&w.seen, inst))
                continue;
            if (ptrmap_put(&w.seen, inst, 1, &added) == NULL) {
                w.failed = 1;
                break;
            }
            visited++;
            if (visited > limit ||
                ((visited & 63) == 0 && monotonic_seconds() > deadline)) {
                out_of_time = visited <= limit;
                stop = 1;
                w.next.n = 0;
                break;
            }
            if (walk_refs(&w, inst) < 0) {
                w.failed = 1;
                break;
            }
            n_refs = w.refs.n;
            for (k = 0; k < n_refs && !w.failed; k++) {
                PyObject *r = w.refs.items[k];
                if (split && Py_TYPE(r) == &PyDict_Type &&
                    !in_map(&w.owners, r) && PyDict_GET_SIZE(r) <= 256) {
                    /* The instance's __dict__: its values are attributes. */
                    PyObject *key, *v;
                    Py_ssize_t pos = 0, h;
                    walk_owner(&w, r, -1);
                    h = walk_holder(&w, inst, r);
                    while (h >= 0 && PyDict_Next(r, &pos, &key, &v) &&
                           !w.failed)
                        walk_value(&w, v, &h, inst, r);
                } else {
                    walk_value(&w, r, &holder, inst, NULL);
                }
            }
        }
        tmp = w.level;
        w.level = w.next;
        w.next = tmp;
    }
    if (w.failed) {
        PyErr_NoMemory();
        goto done;
    }
    /* Strong references before the first allocation: one could start a
     * collection, whose finalisers could drop what the walk only saw. */
    for (i = 0; i < w.n_holders; i++) {
        Py_INCREF(w.holders[i].inst);
        Py_XINCREF(w.holders[i].ns);
    }
    for (i = 0; i < w.n_found; i++)
        Py_INCREF(w.found[i].value);
    held = 1;
    found = PyList_New(0);
    owners = PyList_New(0);
    if (found == NULL || owners == NULL)
        goto done;
    for (i = 0; i < w.n_found; i++) {
        PyObject *t = holder_tuple(&w, w.found[i].holder, "(OOO)",
                                   w.found[i].value, 0);
        if (t == NULL || PyList_Append(found, t) < 0) {
            Py_XDECREF(t);
            goto done;
        }
        Py_DECREF(t);
    }
    for (i = 0; i < PyList_GET_SIZE(targets); i++) {
        Slot *hit = ptrmap_find(&w.owners, PyList_GET_ITEM(targets, i));
        PyObject *t;
        if (hit == NULL || hit->value < 0)
            continue;
        t = holder_tuple(&w, hit->value, "(nOO)", NULL, i);
        if (t == NULL || PyList_Append(owners, t) < 0) {
            Py_XDECREF(t);
            goto done;
        }
        Py_DECREF(t);
    }
    result = Py_BuildValue("(OOnN)", found, owners, visited,
                           PyBool_FromLong(out_of_time));
done:
    Py_XDECREF(found);
    Py_XDECREF(owners);
    if (held) {
        for (i = 0; i < w.n_holders; i++) {
            Py_DECREF(w.holders[i].inst);
            Py_XDECREF(w.holders[i].ns);
        }
        for (i = 0; i < w.n_found; i++)
            Py_DECREF(w.found[i].value);
    }
    ptrmap_free(&w.plain);
    ptrmap_free(&w.seen);
    ptrmap_free(&w.owners);
    PyMem_RawFree(w.holders);
    PyMem_RawFree(w.found);
    PyMem_RawFree(w.level.items);
    PyMem_RawFree(w.next.items);
    PyMem_RawFree(w.refs.items);
    return result;
}

/* Python's round() to an int of a non-negative double: half to even. */
static long long round_half_even(double v)
{
    long long i = (long long)v;
    double frac = v - (double)i;
    if (frac > 0.5 || (frac == 0.5 && (i & 1)))
        i++;
    return i;
}

/* payload(obj, is_dict, n, left, sample_above, sample_items)
 * -> (bytes, estimated, items read): _containers._payload's sums. A dict's
 * keys and values are read with PyDict_Next (every step-th entry when
 * sampled); other containers' items are their referents (tp_traverse,
 * which skips NULL slots), every step-th when sampled. */
/* 1 with *bytes, *estimated, *items_read set; 0: not measured (no budget
 * left, no length); -1 with an error set. */
static int payload_one(PyObject *obj, int is_dict, Py_ssize_t n,
                       Py_ssize_t left, Py_ssize_t above, Py_ssize_t items,
                       long long *bytes, int *estimated, Py_ssize_t *items_read)
{
    Py_ssize_t step, read = 0, taken = 0;
    long long total = 0;
    int sampled;
    double scale;
    if (left <= 0 || n < 0)
        return 0;
    if (is_dict) {
        Py_ssize_t pos = 0, k = 0;
        PyObject *key, *value;
        Py_ssize_t per;
        if (!PyDict_Check(obj)) {
            PyErr_SetString(PyExc_TypeError, "payload: not a dict");
            return -1;
        }
        sampled = n > above || 2 * n > left;
        per = items < left / 2 ? items : left / 2;
        step = sampled ? n / (per > 1 ? per : 1) : 1;
        if (step < 1)
            step = 1;
        while (PyDict_Next(obj, &pos, &key, &value)) {
            if (k++ % step != 0)
                continue;
            total += payload_size(key) + payload_size(value);
            taken++;
        }
        read = 2 * taken;
        scale = sampled ? (double)n / (double)(taken > 1 ? taken : 1) : 1.0;
    } else if (PyList_Check(obj) &&
               (PyList_GET_SIZE(obj) > above || list_whole(obj))) {
        /* Its referents are its items, last to first (list_traverse),
         * read in place: no copy of a long list. A sampled one is not
         * checked for NULL slots first (a pass over all of it): a NULL
         * slot read is skipped, as its referents would skip it. */
        PyObject **slots = ((PyListObject *)obj)->ob_item;
        Py_ssize_t m = PyList_GET_SIZE(obj), i, per;
        sampled = m > above || m > left;
        per = items < left ? items : left;
        step = sampled ? m / (per > 1 ? per : 1) : 1;
        if (step < 1)
            step = 1;
        for (i = 0; i < m; i += step) {
            PyObject *item = slots[m - 1 - i];
            /* A sample's items lie far apart: ask for the one a few steps
             * on while this one is read (one cache miss each otherwise). */
            if (i + PAYLOAD_AHEAD * step < m)
                PREFETCH(slots[m - 1 - i - PAYLOAD_AHEAD * step]);
            if (item != NULL)
                total += payload_size(item);
            read++;
        }
        scale = sampled ? (double)m / (double)(read > 1 ? read : 1) : 1.0;
    } else {
        Refs refs = {NULL, 0, 0, 0};
        Py_ssize_t m, i, per;
        traverseproc traverse = Py_TYPE(obj)->tp_traverse;
        if (traverse != NULL)
            traverse(obj, collect_ref, &refs);
        if (refs.failed) {
            PyMem_RawFree(refs.items);
            PyErr_NoMemory();
            return -1;
        }
        m = refs.n;
        sampled = m > above || m > left;
        per = items < left ? items : left;
        step = sampled ? m / (per > 1 ? per : 1) : 1;
        if (step < 1)
            step = 1;
        for (i = 0; i < m; i += step) {
            if (i + PAYLOAD_AHEAD * step < m)
                PREFETCH(refs.items[i + PAYLOAD_AHEAD * step]);
            total += payload_size(refs.items[i]);
            read++;
        }
        PyMem_RawFree(refs.items);
        scale = sampled ? (double)m / (double)(read > 1 ? read : 1) : 1.0;
    }
    *bytes = sampled ? round_half_even((double)total * scale) : total;
    *estimated = sampled;
    *items_read = read;
    return 1;
}

static PyObject *payload(PyObject *self, PyObject *args)
{
    PyObject *obj;
    int is_dict, sampled, rc;
    Py_ssize_t n, left, above, items, read;
    long long total;
    (void)self;
    if (!PyArg_ParseTuple(args, "Opnnnn", &obj, &is_dict, &n, &left, &above,
                          &items))
        return NULL;
    rc = payload_one(obj, is_dict, n, left, above, items, &total, &sampled,
                     &read);
    if (rc < 0)
        return NULL;
    if (rc == 0)
        Py_RETURN_NONE;
    return Py_BuildValue("(LNn)", total, PyBool_FromLong(sampled), read);
}

/* payloads(objs, dict flags, lengths, left, sample_above, sample_items)
 * -> ([(bytes, estimated) or None per object], left): payload() for each
 * in turn, each read from the item budget left by the ones before (an
 * object that could not be measured, by an error or for want of budget,
 * gets None and takes nothing from it). One call per snapshot. */
static PyObject *payloads(PyObject *self, PyObject *args)
{
    PyObject *objs, *flags, *lengths, *out;
    Py_ssize_t left, above, items, i, n;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!O!nnn", &PyList_Type, &objs,
                          &PyList_Type, &flags, &PyList_Type, &lengths,
                          &left, &above, &items))
        return NULL;
    n = PyList_GET_SIZE(objs);
    if (PyList_GET_SIZE(flags) != n || PyList_GET_SIZE(lengths) != n) {
        PyErr_SetString(PyExc_ValueError, "payloads: lists of one length");
        return NULL;
    }
    out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        long long total = 0;
        int sampled = 0, rc;
        Py_ssize_t read = 0;
        PyObject *r;
        Py_ssize_t len = PyLong_AsSsize_t(PyList_GET_ITEM(lengths, i));
        if (len == -1 && PyErr_Occurred()) {
            Py_DECREF(out);
            return NULL;
        }
        rc = payload_one(PyList_GET_ITEM(objs, i),
                         PyObject_IsTrue(PyList_GET_ITEM(flags, i)) == 1,
                         len, left, above, items, &total, &sampled, &read);
        if (rc < 0)
            PyErr_Clear(); /* unmeasured, as _containers._payload */
        if (rc == 1) {
            left -= read;
            r = Py_BuildValue("(LN)", total, PyBool_FromLong(sampled));
            if (r == NULL) {
                Py_DECREF(out);
                return NULL;
            }
        } else {
            r = Py_None;
            Py_INCREF(r);
        }
        PyList_SET_ITEM(out, i, r);
    }
    return Py_BuildValue("(Nn)", out, left);
}

/* group_traces(traces) -> [(traceback, size, count)]: tracemalloc's raw
 * traces ((domain, size, traceback, ...) tuples, as _get_traces() returns
 * them) summed per traceback object, in first-seen order. _get_traces()
 * converts each interned traceback once, so equal tracebacks are mostly
 * one object; the caller merges the rest by value. */
typedef struct {
    PyObject *tb;
    Py_ssize_t size, count;
} TraceGroup;

static PyObject *group_traces(PyObject *self, PyObject *traces)
{
    PtrMap index;
    TraceGroup *groups = NULL;
    Py_ssize_t n_groups = 0, cap = 0, i;
    PyObject *result = NULL;
    (void)self;
    if (!PyList_CheckExact(traces)) {
        PyErr_SetString(PyExc_TypeError, "group_traces: a list is needed");
        return NULL;
    }
    if (ptrmap_init(&index, 4096) < 0)
        return PyErr_NoMemory();
    for (i = 0; i < PyList_GET_SIZE(traces); i++) {
        PyObject *trace = PyList_GET_ITEM(traces, i), *tb;
        Py_ssize_t size;
        Slot *slot;
        int added;
        if (!PyTuple_CheckExact(trace) || PyTuple_GET_SIZE(trace) < 3 ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(trace, 1))) {
            PyErr_SetString(PyExc_ValueError, "group_traces: not a trace");
            goto done;
        }
        size = PyLong_AsSsize_t(PyTuple_GET_ITEM(trace, 1));
        if (size == -1 && PyErr_Occurred())
            goto done;
        tb = PyTuple_GET_ITEM(trace, 2);
        slot = ptrmap_put(&index, tb, n_groups, &added);
        if (slot == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (added) {
            if (GROW(groups, cap, n_groups) < 0) {
                PyErr_NoMemory();
                goto done;
            }
            groups[n_groups].tb = tb;
            groups[n_groups].size = 0;
            groups[n_groups].count = 0;
            n_groups++;
        }
        groups[slot->value].size += size;
        groups[slot->value].count++;
    }
    /* The traces list holds every traceback: none is freed above. */
    result = PyList_New(n_groups);
    for (i = 0; result != NULL && i < n_groups; i++) {
        PyObject *t = Py_BuildValue("(Onn)", groups[i].tb, groups[i].size,
                                    groups[i].count);
        if (t == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, t);
    }
done:
    ptrmap_free(&index);
    PyMem_RawFree(groups);
    return result;
}

/* safe_size(obj) -> int: sys.getsizeof(obj) when its __sizeof__ is C,
 * else object.__sizeof__ plus the header (never a program's __sizeof__). */
static PyObject *safe_size(PyObject *self, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    PyCFunction meth = c_sizeof_of(tp);
    Py_ssize_t s;
    Py_ssize_t header;
    (void)self;
    /* header_of assumes a gc-tracked object, as every census object is */
    header = header_of(tp);
    if (meth == NULL) {
        meth = object_sizeof_meth;
        if (safe_header >= 0)
            header = safe_header;
    }
    s = call_sizeof(meth, obj);
    if (s < 0)
        return PyLong_FromLong(0);
    return PyLong_FromSsize_t(s + header);
}

/* types_of(objs) -> [type, ...]: the distinct exact types of objs. */
static PyObject *types_of(PyObject *self, PyObject *objs)
{
    PtrMap seen;
    PyObject *result;
    Py_ssize_t i;
    (void)self;
    if (!PyList_CheckExact(objs)) {
        PyErr_SetString(PyExc_TypeError, "types_of: a list is needed");
        return NULL;
    }
    if (ptrmap_init(&seen, 1024) < 0)
        return PyErr_NoMemory();
    result = PyList_New(0);
    for (i = 0; result != NULL && i < PyList_GET_SIZE(objs); i++) {
        PyTypeObject *tp = Py_TYPE(PyList_GET_ITEM(objs, i));
        int added;
        if (ptrmap_put(&seen, tp, 1, &added) == NULL) {
            Py_CLEAR(result);
            PyErr_NoMemory();
        } else if (added && PyList_Append(result, (PyObject *)tp) < 0) {
            Py_CLEAR(result);
        }
    }
    ptrmap_free(&seen);
    return result;
}

/* of_type(objs, tp) -> the objects of objs whose exact type is tp. */
static PyObject *of_type(PyObject *self, PyObject *args)
{
    PyObject *objs, *tp, *result;
    Py_ssize_t i;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &objs, &PyType_Type, &tp))
        return NULL;
    result = PyList_New(0);
    for (i = 0; result != NULL && i < PyList_GET_SIZE(objs); i++) {
        PyObject *obj = PyList_GET_ITEM(objs, i);
        if ((PyObject *)Py_TYPE(obj) == tp && PyList_Append(result, obj) < 0)
            Py_CLEAR(result);
    }
    return result;
}

static PyObject *set_safe_header(PyObject *self, PyObject *arg)
{
    Py_ssize_t h = PyLong_AsSsize_t(arg);
    (void)self;
    if (h == -1 && PyErr_Occurred())
        return NULL;
    safe_header = h;
    Py_RETURN_NONE;
}

/* sequence_caps(objs) -> (list cap, tuple cap): INDEX_LABELS when every
 * exact list (tuple) of objs is whole (no NULL slot), else -1 -- the
 * pure-Python dump labels positions past INDEX_LABELS only when it had to
 * label its lists (tuples) one by one. */
static PyObject *sequence_caps(PyObject *self, PyObject *objs)
{
    Py_ssize_t i, j;
    int lists_whole = 1, tuples_whole = 1;
    (void)self;
    if (!PyList_CheckExact(objs)) {
        PyErr_SetString(PyExc_TypeError, "sequence_caps: a list is needed");
        return NULL;
    }
    for (i = 0; i < PyList_GET_SIZE(objs); i++) {
        PyObject *obj = PyList_GET_ITEM(objs, i);
        PyObject **items;
        Py_ssize_t n;
        if (Py_TYPE(obj) == &PyList_Type && lists_whole) {
            items = ((PyListObject *)obj)->ob_item;
            n = PyList_GET_SIZE(obj);
            for (j = 0; j < n; j++)
                if (items[j] == NULL) {
                    lists_whole = 0;
                    break;
                }
        } else if (Py_TYPE(obj) == &PyTuple_Type && tuples_whole) {
            items = ((PyTupleObject *)obj)->ob_item;
            n = PyTuple_GET_SIZE(obj);
            for (j = 0; j < n; j++)
                if (items[j] == NULL) {
                    tuples_whole = 0;
                    break;
                }
        }
    }
    return Py_BuildValue("(nn)", (Py_ssize_t)(lists_whole ? INDEX_LABELS : -1),
                         (Py_ssize_t)(tuples_whole ? INDEX_LABELS : -1));
}

static PyMethodDef native_methods[] = {
    {"types_of", types_of, METH_O, "types_of(objs) -> distinct types."},
    {"of_type", of_type, METH_VARARGS, "of_type(objs, tp) -> objects of tp."},
    {"set_safe_header", set_safe_header, METH_O,
     "set_safe_header(n): the header safe sizes add to object.__sizeof__."},
    {"sequence_caps", sequence_caps, METH_O,
     "sequence_caps(objs) -> (list cap, tuple cap) of index labels."},
    {"census_pass", census_pass, METH_VARARGS,
     "census_pass(objs[, scan]) -> (counts, sizes, n, containers): objects "
     "and sys.getsizeof bytes per type, in one C pass, and with scan = "
     "(bases, skip ids, min_items, keep) the large containers as "
     "(objects, lengths, sizes); no program code runs."},
    {"census_walk", census_walk, METH_VARARGS,
     "census_walk([scan]) -> (counts, sizes, n, containers) or None: "
     "census_pass over the collector's own lists (None: they could not be "
     "walked safely here; use census_pass(gc.get_objects()))."},
    {"graph_dump", graph_dump, METH_VARARGS,
     "graph_dump(...) -> dict of arrays: the heap-graph dump's pass."},
    {"globals_holding", globals_holding, METH_VARARGS,
     "globals_holding(namespaces, targets) -> [(index, key, target "
     "index)]: globals whose value is one of targets."},
    {"module_globals", module_globals, METH_VARARGS,
     "module_globals(namespaces, min_bytes) -> [(index, key, value)]: "
     "module globals the container pass looks at."},
    {"instance_values", instance_values, METH_VARARGS,
     "instance_values(namespaces, frames, skip ids, targets, bases, "
     "package, box_limit, limit, depth, budget, split_dicts) -> (found, "
     "owners, visited, out_of_time): the walk of _containers."
     "_instance_values."},
    {"group_traces", group_traces, METH_O,
     "group_traces(traces) -> [(traceback, size, count)]: tracemalloc's "
     "raw traces summed per traceback object."},
    {"payloads", payloads, METH_VARARGS,
     "payloads(objs, dict_flags, lengths, left, sample_above, sample_items)"
     " -> ([(bytes, estimated) or None], left): payload() of each in turn "
     "within one item budget."},
    {"payload", payload, METH_VARARGS,
     "payload(obj, is_dict, n, left, sample_above, sample_items) -> "
     "(bytes, estimated, read): the payload of one container."},
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
    {
        int k;
        for (k = 0; k < N_PAYLOAD_TYPES; k++) {
            payload_meths[k] = c_sizeof_of(payload_types[k]);
            payload_headers[k] = header_of(payload_types[k]);
        }
    }
    m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    /* The agent's .py files use a build with the same VERSION only. */
    if (PyModule_AddIntConstant(m, "VERSION", 7) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
