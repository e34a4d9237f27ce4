/** Every word Herald writes on its own behalf (feeds, emails, pages), in one language. */
export interface Messages {
  readonly readMore: string
  /** Digest subject for several posts; `{count}` and `{site}` are replaced. */
  readonly digestSubject: (count: number) => string
  /** Subject of a daily digest of several posts; `date` is the day it is sent (e.g. "12 January"). */
  readonly digestSubjectDaily: (count: number, date: string) => string
  /** Subject of a weekly digest of several posts; `weekStart` is the first day of the week it covers. */
  readonly digestSubjectWeekly: (count: number, weekStart: string) => string
  readonly digestIntro: (count: number) => string
  readonly unsubscribe: string
  readonly unsubscribeReason: string
  readonly viewFeed: string
  readonly postedOn: string
  readonly confirmSubject: string
  readonly confirmIntro: string
  readonly confirmButton: string
  readonly confirmIgnore: string
  readonly subscribeTitle: string
  readonly subscribeLead: string
  readonly emailLabel: string
  readonly tagsLegend: string
  readonly tagsHint: string
  readonly subscribeButton: string
  readonly checkEmailTitle: string
  readonly checkEmailText: string
  readonly confirmPageTitle: string
  readonly confirmPageQuestion: string
  readonly serviceUnavailable: string
  readonly confirmedTitle: string
  readonly confirmedText: string
  readonly linkInvalidTitle: string
  readonly linkInvalidText: string
  readonly linkExpiredText: string
  readonly unsubscribeTitle: string
  readonly unsubscribeQuestion: string
  readonly unsubscribeButton: string
  readonly unsubscribedTitle: string
  readonly unsubscribedText: string
  readonly feedsLabel: string
  readonly invalidEmail: string
  readonly tooManyRequests: string
  /** Confirmation email: above the copy-and-paste link. */
  readonly confirmLinkHint: string
  /** Confirmation email: how long the link works. */
  readonly confirmValidity: (days: number) => string
  /** A confirmation link for a subscription that was since cancelled. */
  readonly linkUsedText: string
  readonly subscribeAgain: string
  /** Label of the hidden anti-bot field (screen readers may still announce it). */
  readonly honeypotLabel: string
  readonly invalidTags: string
  readonly badInput: string
  readonly lineBreakNotAllowed: string
  readonly errorTitle: string
  readonly notFoundTitle: string
  readonly notFoundText: string
  readonly serverErrorText: string
  readonly tooLarge: string
  /** Emails: link to the edition's page in the web archive. */
  readonly viewInBrowser: string
  /** Emails: link to the preferences page, beside Unsubscribe. */
  readonly preferencesLink: string
  readonly welcomeSubject: string
  readonly welcomeIntro: string
  readonly welcomeLatest: string
  readonly welcomeManage: string
  /** Pages: the link back to the blog. */
  readonly backToSite: string
  readonly preferencesTitle: string
  /** `{email}` and `{site}` are replaced. */
  readonly preferencesLead: string
  readonly topicsLegend: string
  readonly cadenceLegend: string
  readonly cadenceInstant: string
  readonly cadenceDaily: string
  readonly cadenceWeekly: string
  readonly savePreferences: string
  readonly preferencesSavedTitle: string
  readonly preferencesSavedText: string
  readonly preferencesUnsubscribeLead: string
  readonly preferencesInactiveText: string
  /** Web pages Herald writes: the archive of emails and the list of posts. */
  readonly archiveTitle: string
  readonly archiveLead: string
  readonly postsTitle: string
  readonly subscribeByEmail: string
  /** An archive entry's post count: "3 posts". */
  readonly postCount: (count: number) => string
}

/** Russian plural form index for a count (one / few / many). */
function russianPlural(count: number, one: string, few: string, many: string): string {
  const mod10 = count % 10
  const mod100 = count % 100
  if (mod10 === 1 && mod100 !== 11) return one
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few
  return many
}

const en: Messages = {
  readMore: 'Read more…',
  digestSubject: (count) => `${count} new posts on {site}`,
  digestSubjectDaily: (count, date) => `${count} new posts on {site} — ${date}`,
  digestSubjectWeekly: (count, weekStart) => `${count} new posts on {site} — week of ${weekStart}`,
  digestIntro: (count) => (count === 1 ? 'A new post on {site}:' : `${count} new posts on {site}:`),
  unsubscribe: 'Unsubscribe',
  unsubscribeReason: 'You receive this email because you subscribed to {site}.',
  viewFeed: 'Follow the feed',
  postedOn: 'Posted on',
  confirmSubject: 'Confirm your subscription to {site}',
  confirmIntro: 'Please confirm that you want to receive new posts from {site} by email.',
  confirmButton: 'Confirm my subscription',
  confirmIgnore: 'If you did not ask for this, ignore this email: you will not be subscribed.',
  subscribeTitle: 'Subscribe to {site}',
  subscribeLead: 'Get new posts by email. You can unsubscribe at any time with one click.',
  emailLabel: 'Email address',
  tagsLegend: 'Only posts about (optional)',
  tagsHint: 'Leave all unchecked to get every post.',
  subscribeButton: 'Subscribe',
  checkEmailTitle: 'Check your email',
  checkEmailText: 'If the address is valid, a confirmation link is on its way. Follow it to start receiving posts.',
  confirmPageTitle: 'Confirm your subscription',
  confirmPageQuestion: 'Receive new posts from {site} by email?',
  serviceUnavailable: 'The service is unavailable for a moment. Please try again in a minute.',
  confirmedTitle: 'Subscription confirmed',
  confirmedText: 'Thank you: new posts from {site} will reach you by email.',
  linkInvalidTitle: 'This link does not work',
  linkInvalidText: 'The link is incomplete or was not made by this site. Copy the whole link from the email, or subscribe again.',
  linkExpiredText: 'This confirmation link has expired. Please subscribe again to get a new one.',
  unsubscribeTitle: 'Unsubscribe',
  unsubscribeQuestion: 'Stop receiving new posts from {site} by email?',
  unsubscribeButton: 'Unsubscribe',
  unsubscribedTitle: 'You are unsubscribed',
  unsubscribedText: 'You will not receive any more emails from {site}.',
  feedsLabel: 'Feeds',
  invalidEmail: 'Please enter a valid email address.',
  tooManyRequests: 'Too many requests. Please try again later.',
  confirmLinkHint: 'If the button does not work, copy this link into your browser:',
  confirmValidity: (days) => `The link works for ${days} ${days === 1 ? 'day' : 'days'}.`,
  linkUsedText:
    'This confirmation link can no longer be used: the subscription was cancelled since. To receive posts again, please subscribe again.',
  subscribeAgain: 'Subscribe again',
  honeypotLabel: 'Leave this field empty',
  invalidTags: 'Please choose topics from the list.',
  badInput: 'The form could not be read. Please check what you entered and try again.',
  lineBreakNotAllowed: 'Line breaks are not allowed in this form.',
  errorTitle: 'Something went wrong',
  notFoundTitle: 'Page not found',
  notFoundText: 'There is nothing at this address.',
  serverErrorText: 'Please try again in a few minutes.',
  tooLarge: 'The request is too large.',
  viewInBrowser: 'View in browser',
  preferencesLink: 'Preferences',
  welcomeSubject: 'Welcome to {site}',
  welcomeIntro: 'Your subscription to {site} is confirmed. New posts will come to this address.',
  welcomeLatest: 'The latest posts',
  welcomeManage: 'You can choose topics and how often you hear from us, or unsubscribe, at any time.',
  backToSite: 'Back to {site}',
  preferencesTitle: 'Your subscription',
  preferencesLead: 'What {site} sends to {email}.',
  topicsLegend: 'Topics (optional)',
  cadenceLegend: 'How often',
  cadenceInstant: 'Each new post as it is published',
  cadenceDaily: 'One email a day at most',
  cadenceWeekly: 'One email a week at most',
  savePreferences: 'Save',
  preferencesSavedTitle: 'Preferences saved',
  preferencesSavedText: 'Your choices for {site} are saved.',
  preferencesUnsubscribeLead: 'Or stop all emails from {site}:',
  preferencesInactiveText: 'This address does not receive emails from {site} any more.',
  archiveTitle: 'Past emails',
  archiveLead: 'Every email sent to the subscribers of {site}.',
  postsTitle: 'Posts',
  subscribeByEmail: 'Subscribe by email',
  postCount: (count) => (count === 1 ? '1 post' : `${count} posts`),
}

const ru: Messages = {
  readMore: 'Читать далее…',
  digestSubject: (count) => `${count} ${russianPlural(count, 'новая запись', 'новые записи', 'новых записей')} в «{site}»`,
  digestSubjectDaily: (count, date) =>
    `${count} ${russianPlural(count, 'новая запись', 'новые записи', 'новых записей')} в «{site}» — ${date}`,
  digestSubjectWeekly: (count, weekStart) =>
    `${count} ${russianPlural(count, 'новая запись', 'новые записи', 'новых записей')} в «{site}» — неделя с ${weekStart}`,
  digestIntro: (count) =>
    count === 1
      ? 'Новая запись в «{site}»:'
      : `${count} ${russianPlural(count, 'новая запись', 'новые записи', 'новых записей')} в «{site}»:`,
  unsubscribe: 'Отписаться',
  unsubscribeReason: 'Вы получили это письмо, потому что подписались на «{site}».',
  viewFeed: 'Подписаться на ленту',
  postedOn: 'Опубликовано',
  confirmSubject: 'Подтвердите подписку на «{site}»',
  confirmIntro: 'Подтвердите, пожалуйста, что хотите получать новые записи «{site}» по почте.',
  confirmButton: 'Подтвердить подписку',
  confirmIgnore: 'Если вы не подписывались, просто не отвечайте на это письмо: подписка не будет оформлена.',
  subscribeTitle: 'Подписка на «{site}»',
  subscribeLead: 'Новые записи по электронной почте. Отписаться можно в любой момент одним нажатием.',
  emailLabel: 'Адрес электронной почты',
  tagsLegend: 'Только записи на темы (необязательно)',
  tagsHint: 'Не отмечайте ничего, чтобы получать все записи.',
  subscribeButton: 'Подписаться',
  checkEmailTitle: 'Проверьте почту',
  checkEmailText: 'Если адрес верный, на него отправлена ссылка для подтверждения. Перейдите по ней, чтобы начать получать записи.',
  confirmPageTitle: 'Подтверждение подписки',
  confirmPageQuestion: 'Получать новые записи «{site}» по почте?',
  serviceUnavailable: 'Сервис ненадолго недоступен. Попробуйте через минуту.',
  confirmedTitle: 'Подписка подтверждена',
  confirmedText: 'Спасибо! Новые записи «{site}» будут приходить вам на почту.',
  linkInvalidTitle: 'Ссылка не работает',
  linkInvalidText: 'Ссылка неполная или создана не этим сайтом. Скопируйте ссылку из письма целиком или подпишитесь заново.',
  linkExpiredText: 'Срок действия ссылки для подтверждения истёк. Подпишитесь заново, чтобы получить новую.',
  unsubscribeTitle: 'Отписка',
  unsubscribeQuestion: 'Больше не получать новые записи «{site}» по почте?',
  unsubscribeButton: 'Отписаться',
  unsubscribedTitle: 'Вы отписались',
  unsubscribedText: 'Письма от «{site}» больше не будут приходить.',
  feedsLabel: 'Ленты',
  invalidEmail: 'Введите правильный адрес электронной почты.',
  tooManyRequests: 'Слишком много запросов. Попробуйте позже.',
  confirmLinkHint: 'Если кнопка не работает, скопируйте эту ссылку в адресную строку браузера:',
  confirmValidity: (days) => `Ссылка действует ${days} ${russianPlural(days, 'день', 'дня', 'дней')}.`,
  linkUsedText: 'Эта ссылка больше не действует: подписка с тех пор была отменена. Чтобы снова получать записи, подпишитесь заново.',
  subscribeAgain: 'Подписаться снова',
  honeypotLabel: 'Оставьте это поле пустым',
  invalidTags: 'Выберите темы из списка.',
  badInput: 'Не удалось прочитать форму. Проверьте введённые данные и попробуйте снова.',
  lineBreakNotAllowed: 'Переводы строк в этой форме не допускаются.',
  errorTitle: 'Что-то пошло не так',
  notFoundTitle: 'Страница не найдена',
  notFoundText: 'По этому адресу ничего нет.',
  serverErrorText: 'Попробуйте снова через несколько минут.',
  tooLarge: 'Слишком большой запрос.',
  viewInBrowser: 'Открыть в браузере',
  preferencesLink: 'Настройки',
  welcomeSubject: 'Добро пожаловать в «{site}»',
  welcomeIntro: 'Подписка на «{site}» подтверждена. Новые записи будут приходить на этот адрес.',
  welcomeLatest: 'Последние записи',
  welcomeManage: 'Темы и частоту писем можно выбрать, а от рассылки отписаться в любой момент.',
  backToSite: 'Вернуться в «{site}»',
  preferencesTitle: 'Ваша подписка',
  preferencesLead: 'Что «{site}» присылает на адрес {email}.',
  topicsLegend: 'Темы (необязательно)',
  cadenceLegend: 'Как часто',
  cadenceInstant: 'Каждую новую запись сразу',
  cadenceDaily: 'Не чаще одного письма в день',
  cadenceWeekly: 'Не чаще одного письма в неделю',
  savePreferences: 'Сохранить',
  preferencesSavedTitle: 'Настройки сохранены',
  preferencesSavedText: 'Ваш выбор для «{site}» сохранён.',
  preferencesUnsubscribeLead: 'Или совсем перестать получать письма «{site}»:',
  preferencesInactiveText: 'На этот адрес письма «{site}» больше не приходят.',
  archiveTitle: 'Архив писем',
  archiveLead: 'Все письма, отправленные подписчикам «{site}».',
  postsTitle: 'Записи',
  subscribeByEmail: 'Подписаться по почте',
  postCount: (count) => `${count} ${russianPlural(count, 'запись', 'записи', 'записей')}`,
}

const de: Messages = {
  readMore: 'Weiterlesen…',
  digestSubject: (count) => `${count} neue Beiträge auf {site}`,
  digestSubjectDaily: (count, date) => `${count} neue Beiträge auf {site} — ${date}`,
  digestSubjectWeekly: (count, weekStart) => `${count} neue Beiträge auf {site} — Woche vom ${weekStart}`,
  digestIntro: (count) => (count === 1 ? 'Ein neuer Beitrag auf {site}:' : `${count} neue Beiträge auf {site}:`),
  unsubscribe: 'Abmelden',
  unsubscribeReason: 'Sie erhalten diese E-Mail, weil Sie {site} abonniert haben.',
  viewFeed: 'Den Feed abonnieren',
  postedOn: 'Veröffentlicht am',
  confirmSubject: 'Bestätigen Sie Ihr Abonnement von {site}',
  confirmIntro: 'Bitte bestätigen Sie, dass Sie neue Beiträge von {site} per E-Mail erhalten möchten.',
  confirmButton: 'Abonnement bestätigen',
  confirmIgnore: 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Sie werden nicht eingetragen.',
  subscribeTitle: '{site} abonnieren',
  subscribeLead: 'Neue Beiträge per E-Mail. Abmelden können Sie sich jederzeit mit einem Klick.',
  emailLabel: 'E-Mail-Adresse',
  tagsLegend: 'Nur Beiträge zu (optional)',
  tagsHint: 'Lassen Sie alles frei, um jeden Beitrag zu erhalten.',
  subscribeButton: 'Abonnieren',
  checkEmailTitle: 'Sehen Sie in Ihr Postfach',
  checkEmailText: 'Ist die Adresse gültig, ist ein Bestätigungslink unterwegs. Folgen Sie ihm, um Beiträge zu erhalten.',
  confirmPageTitle: 'Abonnement bestätigen',
  confirmPageQuestion: 'Neue Beiträge von {site} per E-Mail erhalten?',
  serviceUnavailable: 'Der Dienst ist kurz nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut.',
  confirmedTitle: 'Abonnement bestätigt',
  confirmedText: 'Danke: Neue Beiträge von {site} kommen ab jetzt per E-Mail zu Ihnen.',
  linkInvalidTitle: 'Dieser Link funktioniert nicht',
  linkInvalidText:
    'Der Link ist unvollständig oder stammt nicht von dieser Website. Kopieren Sie ' +
    'den ganzen Link aus der E-Mail oder abonnieren Sie erneut.',
  linkExpiredText: 'Dieser Bestätigungslink ist abgelaufen. Bitte abonnieren Sie erneut, um einen neuen zu erhalten.',
  unsubscribeTitle: 'Abmelden',
  unsubscribeQuestion: 'Keine neuen Beiträge von {site} mehr per E-Mail erhalten?',
  unsubscribeButton: 'Abmelden',
  unsubscribedTitle: 'Sie sind abgemeldet',
  unsubscribedText: 'Sie erhalten keine E-Mails mehr von {site}.',
  feedsLabel: 'Feeds',
  invalidEmail: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
  tooManyRequests: 'Zu viele Anfragen. Bitte versuchen Sie es später erneut.',
  confirmLinkHint: 'Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:',
  confirmValidity: (days) => `Der Link gilt ${days} ${days === 1 ? 'Tag' : 'Tage'}.`,
  linkUsedText:
    'Dieser Bestätigungslink gilt nicht mehr: Das Abonnement wurde inzwischen ' +
    'beendet. Um wieder Beiträge zu erhalten, abonnieren Sie bitte erneut.',
  subscribeAgain: 'Erneut abonnieren',
  honeypotLabel: 'Dieses Feld leer lassen',
  invalidTags: 'Bitte wählen Sie Themen aus der Liste.',
  badInput: 'Das Formular konnte nicht gelesen werden. Bitte prüfen Sie Ihre Eingaben und versuchen Sie es erneut.',
  lineBreakNotAllowed: 'Zeilenumbrüche sind in diesem Formular nicht erlaubt.',
  errorTitle: 'Etwas ist schiefgegangen',
  notFoundTitle: 'Seite nicht gefunden',
  notFoundText: 'Unter dieser Adresse gibt es nichts.',
  serverErrorText: 'Bitte versuchen Sie es in ein paar Minuten erneut.',
  tooLarge: 'Die Anfrage ist zu groß.',
  viewInBrowser: 'Im Browser ansehen',
  preferencesLink: 'Einstellungen',
  welcomeSubject: 'Willkommen bei {site}',
  welcomeIntro: 'Ihr Abonnement von {site} ist bestätigt. Neue Beiträge kommen an diese Adresse.',
  welcomeLatest: 'Die neuesten Beiträge',
  welcomeManage: 'Themen und Häufigkeit können Sie jederzeit wählen, und Sie können sich jederzeit abmelden.',
  backToSite: 'Zurück zu {site}',
  preferencesTitle: 'Ihr Abonnement',
  preferencesLead: 'Was {site} an {email} schickt.',
  topicsLegend: 'Themen (optional)',
  cadenceLegend: 'Wie oft',
  cadenceInstant: 'Jeden neuen Beitrag sofort',
  cadenceDaily: 'Höchstens eine E-Mail am Tag',
  cadenceWeekly: 'Höchstens eine E-Mail pro Woche',
  savePreferences: 'Speichern',
  preferencesSavedTitle: 'Einstellungen gespeichert',
  preferencesSavedText: 'Ihre Auswahl für {site} ist gespeichert.',
  preferencesUnsubscribeLead: 'Oder alle E-Mails von {site} abbestellen:',
  preferencesInactiveText: 'Diese Adresse erhält keine E-Mails von {site} mehr.',
  archiveTitle: 'Frühere E-Mails',
  archiveLead: 'Alle E-Mails an die Abonnenten von {site}.',
  postsTitle: 'Beiträge',
  subscribeByEmail: 'Per E-Mail abonnieren',
  postCount: (count) => (count === 1 ? '1 Beitrag' : `${count} Beiträge`),
}

const es: Messages = {
  readMore: 'Seguir leyendo…',
  digestSubject: (count) => `${count} entradas nuevas en {site}`,
  digestSubjectDaily: (count, date) => `${count} entradas nuevas en {site} — ${date}`,
  digestSubjectWeekly: (count, weekStart) => `${count} entradas nuevas en {site} — semana del ${weekStart}`,
  digestIntro: (count) => (count === 1 ? 'Una entrada nueva en {site}:' : `${count} entradas nuevas en {site}:`),
  unsubscribe: 'Darse de baja',
  unsubscribeReason: 'Recibe este correo porque se suscribió a {site}.',
  viewFeed: 'Seguir el feed',
  postedOn: 'Publicado el',
  confirmSubject: 'Confirme su suscripción a {site}',
  confirmIntro: 'Confirme, por favor, que quiere recibir por correo las entradas nuevas de {site}.',
  confirmButton: 'Confirmar mi suscripción',
  confirmIgnore: 'Si no lo ha pedido, ignore este correo: no quedará suscrito.',
  subscribeTitle: 'Suscribirse a {site}',
  subscribeLead: 'Reciba las entradas nuevas por correo. Puede darse de baja en cualquier momento con un clic.',
  emailLabel: 'Correo electrónico',
  tagsLegend: 'Solo entradas sobre (opcional)',
  tagsHint: 'No marque nada para recibir todas las entradas.',
  subscribeButton: 'Suscribirse',
  checkEmailTitle: 'Revise su correo',
  checkEmailText: 'Si la dirección es válida, le hemos enviado un enlace de confirmación. Sígalo para empezar a recibir entradas.',
  confirmPageTitle: 'Confirme su suscripción',
  confirmPageQuestion: '¿Recibir por correo las entradas nuevas de {site}?',
  serviceUnavailable: 'El servicio no está disponible por un momento. Inténtelo de nuevo en un minuto.',
  confirmedTitle: 'Suscripción confirmada',
  confirmedText: 'Gracias: las entradas nuevas de {site} le llegarán por correo.',
  linkInvalidTitle: 'Este enlace no funciona',
  linkInvalidText: 'El enlace está incompleto o no lo creó este sitio. Copie el enlace completo del correo o suscríbase de nuevo.',
  linkExpiredText: 'Este enlace de confirmación ha caducado. Suscríbase de nuevo para recibir otro.',
  unsubscribeTitle: 'Darse de baja',
  unsubscribeQuestion: '¿Dejar de recibir por correo las entradas nuevas de {site}?',
  unsubscribeButton: 'Darse de baja',
  unsubscribedTitle: 'Se ha dado de baja',
  unsubscribedText: 'No recibirá más correos de {site}.',
  feedsLabel: 'Feeds',
  invalidEmail: 'Escriba una dirección de correo válida.',
  tooManyRequests: 'Demasiadas solicitudes. Inténtelo más tarde.',
  confirmLinkHint: 'Si el botón no funciona, copie este enlace en su navegador:',
  confirmValidity: (days) => `El enlace funciona durante ${days} ${days === 1 ? 'día' : 'días'}.`,
  linkUsedText:
    'Este enlace de confirmación ya no sirve: la suscripción se canceló después. Para volver a recibir entradas, suscríbase de nuevo.',
  subscribeAgain: 'Suscribirse de nuevo',
  honeypotLabel: 'Deje este campo vacío',
  invalidTags: 'Elija temas de la lista.',
  badInput: 'No se pudo leer el formulario. Revise lo que escribió e inténtelo de nuevo.',
  lineBreakNotAllowed: 'Este formulario no admite saltos de línea.',
  errorTitle: 'Algo salió mal',
  notFoundTitle: 'Página no encontrada',
  notFoundText: 'No hay nada en esta dirección.',
  serverErrorText: 'Inténtelo de nuevo dentro de unos minutos.',
  tooLarge: 'La solicitud es demasiado grande.',
  viewInBrowser: 'Ver en el navegador',
  preferencesLink: 'Preferencias',
  welcomeSubject: 'Bienvenido a {site}',
  welcomeIntro: 'Su suscripción a {site} está confirmada. Las entradas nuevas llegarán a esta dirección.',
  welcomeLatest: 'Las últimas entradas',
  welcomeManage: 'Puede elegir los temas y la frecuencia, o darse de baja, en cualquier momento.',
  backToSite: 'Volver a {site}',
  preferencesTitle: 'Su suscripción',
  preferencesLead: 'Lo que {site} envía a {email}.',
  topicsLegend: 'Temas (opcional)',
  cadenceLegend: 'Con qué frecuencia',
  cadenceInstant: 'Cada entrada nueva en cuanto se publica',
  cadenceDaily: 'Como mucho un correo al día',
  cadenceWeekly: 'Como mucho un correo a la semana',
  savePreferences: 'Guardar',
  preferencesSavedTitle: 'Preferencias guardadas',
  preferencesSavedText: 'Sus preferencias para {site} se han guardado.',
  preferencesUnsubscribeLead: 'O deje de recibir todos los correos de {site}:',
  preferencesInactiveText: 'Esta dirección ya no recibe correos de {site}.',
  archiveTitle: 'Correos anteriores',
  archiveLead: 'Todos los correos enviados a los suscriptores de {site}.',
  postsTitle: 'Entradas',
  subscribeByEmail: 'Suscribirse por correo',
  postCount: (count) => (count === 1 ? '1 entrada' : `${count} entradas`),
}

const fr: Messages = {
  readMore: 'Lire la suite…',
  digestSubject: (count) => `${count} nouveaux articles sur {site}`,
  digestSubjectDaily: (count, date) => `${count} nouveaux articles sur {site} — ${date}`,
  digestSubjectWeekly: (count, weekStart) => `${count} nouveaux articles sur {site} — semaine du ${weekStart}`,
  digestIntro: (count) => (count === 1 ? 'Un nouvel article sur {site} :' : `${count} nouveaux articles sur {site} :`),
  unsubscribe: 'Se désabonner',
  unsubscribeReason: 'Vous recevez ce message parce que vous êtes abonné à {site}.',
  viewFeed: 'Suivre le flux',
  postedOn: 'Publié le',
  confirmSubject: 'Confirmez votre abonnement à {site}',
  confirmIntro: 'Merci de confirmer que vous souhaitez recevoir par e-mail les nouveaux articles de {site}.',
  confirmButton: 'Confirmer mon abonnement',
  confirmIgnore: "Si vous n'avez rien demandé, ignorez ce message : vous ne serez pas abonné.",
  subscribeTitle: "S'abonner à {site}",
  subscribeLead: 'Recevez les nouveaux articles par e-mail. Vous pouvez vous désabonner à tout moment en un clic.',
  emailLabel: 'Adresse e-mail',
  tagsLegend: 'Seulement les articles sur (facultatif)',
  tagsHint: 'Ne cochez rien pour recevoir tous les articles.',
  subscribeButton: "S'abonner",
  checkEmailTitle: 'Consultez vos e-mails',
  checkEmailText: "Si l'adresse est valide, un lien de confirmation est en route. Suivez-le pour commencer à recevoir les articles.",
  confirmPageTitle: 'Confirmez votre abonnement',
  confirmPageQuestion: 'Recevoir par e-mail les nouveaux articles de {site} ?',
  serviceUnavailable: 'Le service est momentanément indisponible. Réessayez dans une minute.',
  confirmedTitle: 'Abonnement confirmé',
  confirmedText: 'Merci : les nouveaux articles de {site} vous parviendront par e-mail.',
  linkInvalidTitle: 'Ce lien ne fonctionne pas',
  linkInvalidText:
    "Le lien est incomplet ou n'a pas été créé par ce site. Copiez le lien entier depuis l'e-mail, ou abonnez-vous à nouveau.",
  linkExpiredText: 'Ce lien de confirmation a expiré. Abonnez-vous à nouveau pour en recevoir un autre.',
  unsubscribeTitle: 'Se désabonner',
  unsubscribeQuestion: 'Ne plus recevoir par e-mail les nouveaux articles de {site} ?',
  unsubscribeButton: 'Se désabonner',
  unsubscribedTitle: 'Vous êtes désabonné',
  unsubscribedText: "Vous ne recevrez plus d'e-mails de {site}.",
  feedsLabel: 'Flux',
  invalidEmail: 'Saisissez une adresse e-mail valide.',
  tooManyRequests: 'Trop de requêtes. Réessayez plus tard.',
  confirmLinkHint: 'Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :',
  confirmValidity: (days) => `Le lien reste valable ${days} ${days === 1 ? 'jour' : 'jours'}.`,
  linkUsedText:
    "Ce lien de confirmation n'est plus utilisable : l'abonnement a été annulé " +
    'depuis. Pour recevoir à nouveau les articles, abonnez-vous à nouveau.',
  subscribeAgain: "S'abonner à nouveau",
  honeypotLabel: 'Laissez ce champ vide',
  invalidTags: 'Choisissez des sujets dans la liste.',
  badInput: "Le formulaire n'a pas pu être lu. Vérifiez votre saisie et réessayez.",
  lineBreakNotAllowed: 'Les retours à la ligne ne sont pas acceptés dans ce formulaire.',
  errorTitle: "Quelque chose s'est mal passé",
  notFoundTitle: 'Page introuvable',
  notFoundText: "Il n'y a rien à cette adresse.",
  serverErrorText: 'Réessayez dans quelques minutes.',
  tooLarge: 'La requête est trop volumineuse.',
  viewInBrowser: 'Voir dans le navigateur',
  preferencesLink: 'Préférences',
  welcomeSubject: 'Bienvenue sur {site}',
  welcomeIntro: 'Votre abonnement à {site} est confirmé. Les nouveaux articles arriveront à cette adresse.',
  welcomeLatest: 'Les derniers articles',
  welcomeManage: 'Vous pouvez choisir les sujets et la fréquence, ou vous désabonner, à tout moment.',
  backToSite: 'Retour à {site}',
  preferencesTitle: 'Votre abonnement',
  preferencesLead: 'Ce que {site} envoie à {email}.',
  topicsLegend: 'Sujets (facultatif)',
  cadenceLegend: 'À quelle fréquence',
  cadenceInstant: 'Chaque nouvel article dès sa publication',
  cadenceDaily: 'Un e-mail par jour au plus',
  cadenceWeekly: 'Un e-mail par semaine au plus',
  savePreferences: 'Enregistrer',
  preferencesSavedTitle: 'Préférences enregistrées',
  preferencesSavedText: 'Vos choix pour {site} sont enregistrés.',
  preferencesUnsubscribeLead: 'Ou ne plus recevoir aucun e-mail de {site} :',
  preferencesInactiveText: "Cette adresse ne reçoit plus d'e-mails de {site}.",
  archiveTitle: 'E-mails précédents',
  archiveLead: 'Tous les e-mails envoyés aux abonnés de {site}.',
  postsTitle: 'Articles',
  subscribeByEmail: "S'abonner par e-mail",
  postCount: (count) => (count === 1 ? '1 article' : `${count} articles`),
}

const zh: Messages = {
  readMore: '阅读全文…',
  digestSubject: (count) => `{site} 有 ${count} 篇新文章`,
  digestSubjectDaily: (count, date) => `{site} 有 ${count} 篇新文章 — ${date}`,
  digestSubjectWeekly: (count, weekStart) => `{site} 有 ${count} 篇新文章 — ${weekStart}起的一周`,
  digestIntro: (count) => (count === 1 ? '{site} 有一篇新文章：' : `{site} 有 ${count} 篇新文章：`),
  unsubscribe: '退订',
  unsubscribeReason: '您收到这封邮件，是因为您订阅了 {site}。',
  viewFeed: '订阅 RSS 源',
  postedOn: '发布于',
  confirmSubject: '请确认订阅 {site}',
  confirmIntro: '请确认您希望通过电子邮件接收 {site} 的新文章。',
  confirmButton: '确认订阅',
  confirmIgnore: '如果这不是您本人的操作，请忽略这封邮件：您不会被订阅。',
  subscribeTitle: '订阅 {site}',
  subscribeLead: '通过电子邮件接收新文章。您可以随时一键退订。',
  emailLabel: '电子邮件地址',
  tagsLegend: '只接收以下主题的文章（可选）',
  tagsHint: '不勾选任何主题即可接收所有文章。',
  subscribeButton: '订阅',
  checkEmailTitle: '请查收邮件',
  checkEmailText: '如果地址有效，确认链接已经发出。点击链接即可开始接收文章。',
  confirmPageTitle: '确认订阅',
  confirmPageQuestion: '通过电子邮件接收 {site} 的新文章？',
  serviceUnavailable: '服务暂时不可用，请一分钟后再试。',
  confirmedTitle: '订阅已确认',
  confirmedText: '谢谢！{site} 的新文章将通过电子邮件发送给您。',
  linkInvalidTitle: '此链接无效',
  linkInvalidText: '链接不完整，或并非由本网站生成。请从邮件中复制完整的链接，或重新订阅。',
  linkExpiredText: '此确认链接已过期。请重新订阅以获取新的链接。',
  unsubscribeTitle: '退订',
  unsubscribeQuestion: '不再通过电子邮件接收 {site} 的新文章？',
  unsubscribeButton: '退订',
  unsubscribedTitle: '您已退订',
  unsubscribedText: '您将不会再收到 {site} 的邮件。',
  feedsLabel: '订阅源',
  invalidEmail: '请输入有效的电子邮件地址。',
  tooManyRequests: '请求过多，请稍后再试。',
  confirmLinkHint: '如果按钮无法使用，请将此链接复制到浏览器中：',
  confirmValidity: (days) => `链接在 ${days} 天内有效。`,
  linkUsedText: '此确认链接已无法使用：该订阅此后已被取消。如需再次接收文章，请重新订阅。',
  subscribeAgain: '重新订阅',
  honeypotLabel: '请不要填写此栏',
  invalidTags: '请从列表中选择主题。',
  badInput: '无法读取表单。请检查您输入的内容后重试。',
  lineBreakNotAllowed: '此表单不允许换行。',
  errorTitle: '出错了',
  notFoundTitle: '页面不存在',
  notFoundText: '此地址没有内容。',
  serverErrorText: '请几分钟后再试。',
  tooLarge: '请求过大。',
  viewInBrowser: '在浏览器中查看',
  preferencesLink: '订阅设置',
  welcomeSubject: '欢迎订阅 {site}',
  welcomeIntro: '您对 {site} 的订阅已确认。新文章将发送到这个地址。',
  welcomeLatest: '最新文章',
  welcomeManage: '您可以随时选择主题和接收频率，也可以随时退订。',
  backToSite: '返回 {site}',
  preferencesTitle: '您的订阅',
  preferencesLead: '{site} 发送到 {email} 的内容。',
  topicsLegend: '主题（可选）',
  cadenceLegend: '接收频率',
  cadenceInstant: '每篇新文章发布后立即发送',
  cadenceDaily: '每天最多一封邮件',
  cadenceWeekly: '每周最多一封邮件',
  savePreferences: '保存',
  preferencesSavedTitle: '设置已保存',
  preferencesSavedText: '您对 {site} 的设置已保存。',
  preferencesUnsubscribeLead: '或者停止接收 {site} 的所有邮件：',
  preferencesInactiveText: '此地址已不再接收 {site} 的邮件。',
  archiveTitle: '往期邮件',
  archiveLead: '发送给 {site} 订阅者的全部邮件。',
  postsTitle: '文章',
  subscribeByEmail: '通过电子邮件订阅',
  postCount: (count) => `${count} 篇文章`,
}

/** Every language Herald speaks, by primary language subtag. */
export const CATALOGUES: Readonly<Record<string, Messages>> = { en, ru, de, es, fr, zh }

/** The catalogue for a site language (`ru`, `ru-RU`, `en-GB` …); English when Herald has none for it. */
export function messagesFor(language: string): Messages {
  return CATALOGUES[language.toLowerCase().split('-')[0]!] ?? en
}

/** Replaces `{site}` (and other `{name}` placeholders) in a message. */
export function fill(message: string, values: Record<string, string | number>): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole))
}

/** A post date as readers of the site's language expect it (`13 июля 2014 г.`, `July 13, 2014`). */
export function formatPostDate(iso: string, language: string, timeZone: string): string {
  const offset = /([+-]\d{2}):?(\d{2})$|Z$/.exec(iso)
  // Show the date in the offset the post was written in, so a post dated "13 July 23:30 +04:00" reads as 13 July.
  const zone = offset?.[1] ? `Etc/GMT${offset[1].startsWith('-') ? '+' : '-'}${Number(offset[1].slice(1))}` : timeZone
  const usableZone = offset?.[2] === '00' ? zone : timeZone
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: usableZone }).format(new Date(iso))
}
