#include "views/objectinspector.h"

#include "core/textutil.h"

#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace leakscope {

namespace {

constexpr int s_idRole = Qt::UserRole + 1;

QTreeWidget *makeList(const QStringList &headers, QWidget *parent)
{
    auto *list = new QTreeWidget(parent);
    list->setRootIsDecorated(false);
    list->setUniformRowHeights(true);
    list->setAlternatingRowColors(true);
    list->setHeaderLabels(headers);
    list->setTextElideMode(Qt::ElideMiddle);
    // Names, types and sizes as wide as they are; the value (or the
    // referrer) takes the rest.
    list->header()->setStretchLastSection(false);
    list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    list->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    return list;
}

QString counted(quint32 shown, quint32 total, const QString &what)
{
    if (shown == total)
        return QStringLiteral("%1 (%2)").arg(what, QLocale().toString(total));
    return QCoreApplication::translate("leakscope::ObjectInspector", "%1 (first %2 of %3)")
        .arg(what, QLocale().toString(shown), QLocale().toString(total));
}

} // namespace

ObjectInspector::ObjectInspector(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    m_title = new QLabel(this);
    QFont big = m_title->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.2);
    m_title->setFont(big);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    layout->addWidget(m_title);
    m_summary = new QLabel(this);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);

    auto *buttons = new QHBoxLayout;
    m_referencesButton = new QPushButton(tr("References"), this);
    m_referencesButton->setToolTip(tr("Show who refers to this object in the References tab"));
    m_chainButton = new QPushButton(tr("Chain to Root"), this);
    m_chainButton->setToolTip(tr("The shortest chain of references from a module, class or frame to this object"));
    buttons->addWidget(m_referencesButton);
    buttons->addWidget(m_chainButton);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    m_chain = new QLabel(this);
    m_chain->setWordWrap(true);
    m_chain->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_chain->hide();
    layout->addWidget(m_chain);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *top = new QWidget(splitter);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    m_fieldsHeading = new QLabel(tr("Fields"), top);
    topLayout->addWidget(m_fieldsHeading);
    m_fields = makeList({tr("Name"), tr("Value"), tr("Type"), tr("Size")}, top);
    m_fields->setObjectName(QStringLiteral("fields"));
    m_fields->setToolTip(tr("What the object refers to: attributes, keys and items with the labels the agent stored.\n"
                            "Only objects the garbage collector tracks are in the heap graph: str, int and other\n"
                            "atomic values are not. Double-click to inspect one."));
    topLayout->addWidget(m_fields);
    m_fieldsNote = new QLabel(top);
    m_fieldsNote->setWordWrap(true);
    m_fieldsNote->setForegroundRole(QPalette::PlaceholderText);
    topLayout->addWidget(m_fieldsNote);
    auto *bottom = new QWidget(splitter);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    m_referrersHeading = new QLabel(tr("Referrers"), bottom);
    bottomLayout->addWidget(m_referrersHeading);
    m_referrers = makeList({tr("Via"), tr("Referrer"), tr("Type")}, bottom);
    m_referrers->setObjectName(QStringLiteral("referrers"));
    m_referrers->setToolTip(tr("Who refers to the object and through which attribute, key or index.\n"
                               "Double-click to inspect one."));
    bottomLayout->addWidget(m_referrers);
    splitter->addWidget(top);
    splitter->addWidget(bottom);
    layout->addWidget(splitter, 1);

    for (QTreeWidget *list : {m_fields, m_referrers})
        connect(list, &QTreeWidget::itemActivated, this, &ObjectInspector::activated);
    connect(m_referencesButton, &QPushButton::clicked, this, [this] {
        if (m_details.id)
            emit referencesRequested(m_details.id);
    });
    connect(m_chainButton, &QPushButton::clicked, this, [this] {
        if (m_details.id)
            emit chainToRootRequested(m_details.id);
    });
    setError(tr("No object selected."));
}

void ObjectInspector::setDetails(const ObjectDetails &details, const QString &source)
{
    m_details = details;
    const QString shortType = details.type.section(QLatin1Char('.'), -1);
    m_title->setText(tr("%1 at %2").arg(details.type, TextUtil::hexId(details.id)));
    setWindowTitle(tr("%1 at %2 \u2014 Inspector").arg(shortType, TextUtil::hexId(details.id)));
    QStringList parts;
    parts << tr("Size %1").arg(TextUtil::bytes(qint64(details.size)));
    if (details.retained >= 0)
        parts << tr("retained %1").arg(TextUtil::bytes(details.retained));
    else
        parts << (details.fromAgent ? tr("retained size needs a heap graph (Snapshot with Heap Graph)")
                                    : tr("retained size not computed yet"));
    if (!details.rootKind.isEmpty())
        parts << tr("a root (%1)").arg(details.rootKind);
    QString summary = parts.join(QStringLiteral(" \u00b7 "));
    if (!details.label.isEmpty() && details.label != details.type)
        summary = tr("Label: %1").arg(details.label) + QLatin1Char('\n') + summary;
    if (!source.isEmpty())
        summary += QLatin1Char('\n') + (details.fromAgent ? tr("Asked of %1 just now").arg(source)
                                                          : tr("From the heap graph of %1").arg(source));
    m_fieldsNote->setText(
        details.fromAgent
            ? tr("Values as the agent read them without running the program's code: str, bytes and numbers (cut), "
                 "None, and the length of containers. Other objects show their type: double-click to inspect one.")
            : tr("Values are the labels stored with the heap graph. Only objects the garbage collector tracks are in "
                 "it: str, int and other atomic attributes are not listed."));
    m_summary->setText(summary);
    m_chain->clear();
    m_chain->hide();
    m_referencesButton->setEnabled(true);
    m_chainButton->setEnabled(true);

    m_fields->clear();
    QList<QTreeWidgetItem *> items;
    for (const ObjectDetails::Field &f : details.fields) {
        auto *item = new QTreeWidgetItem({f.name.isEmpty() ? tr("(unlabelled)") : f.name, f.value, f.type,
                                          TextUtil::bytes(qint64(f.size))});
        item->setData(0, s_idRole, f.id);
        item->setToolTip(1, f.value + QLatin1Char('\n') + TextUtil::hexId(f.id));
        item->setTextAlignment(3, Qt::AlignRight | Qt::AlignVCenter);
        items << item;
    }
    m_fields->addTopLevelItems(items);
    m_fieldsHeading->setText(!details.listed && details.fieldCount > 0
                                 ? tr("Fields (%1; this agent lists them with a heap graph only)").arg(details.fieldCount)
                                 : counted(quint32(details.fields.size()), details.fieldCount, tr("Fields")));

    m_referrers->clear();
    items.clear();
    for (const ObjectDetails::Referrer &r : details.referrers) {
        auto *item = new QTreeWidgetItem({r.via.isEmpty() ? tr("(unlabelled)") : r.via, r.label, r.type});
        // The instance whose __dict__ refers is the one worth inspecting.
        item->setData(0, s_idRole, r.ownerId ? r.ownerId : r.id);
        item->setToolTip(1, r.label + QLatin1Char('\n') + TextUtil::hexId(r.id));
        items << item;
    }
    m_referrers->addTopLevelItems(items);
    m_referrersHeading->setText(!details.listed && details.referrerCount > 0
                                    ? tr("Referrers (%1; this agent lists them with a heap graph only)").arg(details.referrerCount)
                                    : counted(quint32(details.referrers.size()), details.referrerCount, tr("Referrers")));
}

void ObjectInspector::setError(const QString &text)
{
    m_details = ObjectDetails();
    m_title->setText(tr("Inspector"));
    m_summary->setText(text);
    m_fields->clear();
    m_referrers->clear();
    m_fieldsHeading->setText(tr("Fields"));
    m_fieldsNote->clear();
    m_referrersHeading->setText(tr("Referrers"));
    m_chain->clear();
    m_chain->hide();
    m_referencesButton->setEnabled(false);
    m_chainButton->setEnabled(false);
}

void ObjectInspector::setChain(const QString &text)
{
    m_chain->setText(tr("Chain to root: %1").arg(text));
    m_chain->show();
}

QString ObjectInspector::titleText() const
{
    return m_title->text();
}

QString ObjectInspector::summaryText() const
{
    return m_summary->text();
}

QString ObjectInspector::chainText() const
{
    return m_chain->isVisible() || !m_chain->text().isEmpty() ? m_chain->text() : QString();
}

void ObjectInspector::activated(QTreeWidgetItem *item)
{
    const quint64 id = item ? item->data(0, s_idRole).toULongLong() : 0;
    if (id)
        emit objectRequested(id);
}

} // namespace leakscope
