/** Every word Herald writes on its own behalf (feeds, emails, pages), in one language. */
export interface Messages {
  readonly readMore: string
  /** Digest subject for several posts; `{count}` and `{site}` are replaced. */
  readonly digestSubject: (count: number) => string
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

const catalogues: Record<string, Messages> = { en, ru }

/** The catalogue for a site language (`ru`, `ru-RU`, `en-GB` …); English when Herald has none for it. */
export function messagesFor(language: string): Messages {
  return catalogues[language.toLowerCase().split('-')[0]!] ?? en
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
