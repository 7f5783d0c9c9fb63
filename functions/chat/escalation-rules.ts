/**
 * The emergency vocabulary of the patient chat, as data: which phrases show which feature, in
 * English and Spanish, and which features together make which emergency. The engine that reads
 * these tables is escalation.ts; to catch a new way of saying something, add a phrase here.
 *
 * Phrase syntax (matched against normalised text: lowercase, no accents, no apostrophes, every
 * doubled letter written once, so write words as patients spell them and the table normalises
 * them the same way — `can't` is `cant`, `swollen` also matches `swolen`):
 * - words separated by spaces must follow one another;
 * - `a|b` is either word, `a_b` a two-word alternative (`unable_to|cant`);
 * - `stem*` is any word starting with stem (`swell*` matches swelling, swelled);
 * - `[a|b]` is optional;
 * - `~N` skips up to N words, but never a negation or an "and"/"y" ("the swelling isn't
 *   spreading" does not match `swell* ~3 spread*`, nor "sore throat and swollen gums"
 *   `throat ~3 swollen`); `~~N` may skip an "and" ("bleeding and it won't stop");
 * - `!a|b` means the next word is not one of these (`fell !out|asleep`);
 * - `@NAME` is a shared list from `MACROS`.
 */

export type EscalationCategory =
  | 'airway'
  | 'severe-allergic-reaction'
  | 'spreading-swelling'
  | 'uncontrolled-bleeding'
  | 'jaw-or-facial-trauma'
  | 'knocked-out-tooth'
  | 'fever-with-swelling';

export type PatientLanguage = 'en' | 'es';

export type Feature =
  | 'airway'
  | 'allergy'
  | 'hives'
  | 'allergy-trigger'
  | 'lip-swelling'
  | 'swelling-spreading'
  | 'spread-to-eye-or-neck'
  | 'swelling'
  | 'swelling-topic'
  | 'bleeding-topic'
  | 'it-wont-stop'
  | 'fever'
  | 'bleeding-uncontrolled'
  | 'bleeding-heavy'
  | 'jaw-or-face-injury'
  | 'tooth-knocked-out'
  | 'tooth-out'
  | 'tooth-loose'
  | 'injury-event'
  | 'jaw-sign'
  | 'baby-tooth-out'
  | 'reassured'
  | 'anticoagulant'
  | 'bleeding-ongoing';

/**
 * Categories in the order they are reported when several apply (the most dangerous first).
 * A category applies when every feature of one of its sets is affirmed, at least one of them in
 * the latest patient message (the others may come from the patient's earlier messages), and no
 * `!feature` of the set is affirmed in the latest message.
 */
export const CATEGORIES: ReadonlyArray<{ category: EscalationCategory; when: ReadonlyArray<ReadonlyArray<Feature | `!${Feature}`>> }> = [
  { category: 'airway', when: [['airway']] },
  { category: 'severe-allergic-reaction', when: [['allergy'], ['hives', 'swelling'], ['hives', 'allergy-trigger'], ['hives', 'lip-swelling'], ['lip-swelling', 'allergy-trigger']] },
  { category: 'spreading-swelling', when: [['swelling-spreading'], ['spread-to-eye-or-neck', 'swelling-topic']] },
  // A patient on a blood thinner whose bleeding is still going on cannot wait to see whether it stops.
  { category: 'uncontrolled-bleeding', when: [['bleeding-uncontrolled'], ['bleeding-heavy'], ['it-wont-stop', 'bleeding-topic'], ['anticoagulant', 'bleeding-ongoing']] },
  // Before trauma: a knocked-out tooth has an hour, and its advice covers the blow too.
  // A baby tooth is not put back, so only what else the blow did makes it urgent: it escalates after a fall or
  // a blow unless the message says the child barely bled or is already playing (a loose baby tooth never does).
  { category: 'knocked-out-tooth', when: [['tooth-knocked-out'], ['tooth-out', 'injury-event'], ['tooth-loose', 'injury-event'], ['baby-tooth-out', 'injury-event', '!reassured']] },
  // A jaw that will not open or close, a bite that is off or a numb chin: a fracture sign after a blow.
  { category: 'jaw-or-facial-trauma', when: [['jaw-or-face-injury'], ['jaw-sign', 'injury-event']] },
  { category: 'fever-with-swelling', when: [['fever', 'swelling']] },
];

/** Shared word lists, usable in phrases of either language as `@NAME`. */
/**
 * Features that count as soon as they are mentioned, negated or not: they only say what the
 * conversation is about ("the swelling went down, but now it's spreading to my neck").
 */
export const TOPIC_FEATURES: ReadonlySet<Feature> = new Set<Feature>(['swelling-topic', 'bleeding-topic']);

/**
 * Features a resolving phrase cannot take back: an airway "getting smaller" is not getting better,
 * a tooth that "is gone" is out, and a fall or a blow happened, whatever else in the clause went down.
 */
export const NEVER_RESOLVED: ReadonlySet<Feature> = new Set<Feature>(['airway', 'tooth-knocked-out', 'tooth-out', 'injury-event']);

export const MACROS: Record<string, string> = {
  // English
  INABLE:
    'cant|cannot|can_not|couldnt|could_not|unable_to|not_able_to|isnt_able_to|wasnt_able_to|havent_been_able_to|hasnt_been_able_to|can_barely|can_hardly|could_barely|could_hardly|barely_able_to|hardly_able_to|cant_even|almost_cant',
  HARD: 'trouble|difficulty|difficulties|difficult|hard|harder|struggling|struggle|struggles|problem|problems|hard_time',
  BREATHE: 'breathe|breathing|breathin|breath|inhale',
  SWALLOW: 'swallow|swallowing|swallowed',
  SWOLLEN: 'swell*|swollen|swolen|swole|puffy|puffed|puffing|puffiness|inflamed|inflamation|inflammation|absces*|bloated|enlarged',
  // A swelling named by its shape rather than the word ("the lump on my gum").
  LUMP: 'lump|lumps|bump|bulge|knot',
  EYE_NECK:
    'eye|eyes|eyelid|eyelids|eye_socket|neck|throat|temple|ear|ears|earlobe|under_my_jaw|under_his_jaw|under_her_jaw|under_the_jaw|under_my_chin|under_his_chin|under_her_chin|under_the_chin|below_my_jaw|jawline_to_my_neck',
  // Where a spreading swelling is said to be heading, beyond the eye and neck: only after a verb of movement.
  SPREAD_TARGET: '@EYE_NECK|cheekbone|cheekbones|chin|jawline|collarbone|other_cheek|other_side|whole_face',
  // What a patient cannot swallow that is no airway sign: a large pill is hard to swallow for many.
  MEDS: 'pills|pill|tablets|tablet|capsules|capsule|medicine|meds|them|the_pills|the_pill|the_tablets|my_pills|my_meds|my_medicine|big_pills|large_pills|big_tablets|the_antibiotic|the_antibiotics',
  FEVER_NUM: '38|39|40|41|100|101|102|103|104|105',
  // The decimal of a temperature ("38.9", "38,9" and "101.3" are read as two numbers).
  DIGIT: '0|1|2|3|4|5|6|7|8|9',
  // What a number with a decimal measures when it is not a temperature ("38.5 weeks pregnant"); every phrase reads every language.
  NOT_DEGREES: 'mm|cm|ml|mg|kg|km|percent|dollars|weeks|wks|months|years|yrs|days|hours|minutes|mins|pesos|euros|dolares|por_ciento|semanas|meses|anos|dias|horas|minutos',
  // Where a temperature was taken.
  TAKEN: 'under_the_arm|under_his_arm|under_her_arm|under_my_arm|armpit|axillary|rectal|rectally|in_the_ear|forehead|bajo_el_brazo|en_la_axila|axila|axilar|en_el_oido|en_la_frente',
  // Calendar years before this one: "in 2019" dates an event to the past.
  PAST_YEAR: Array.from({ length: new Date().getUTCFullYear() - 1950 }, (_, i) => String(1950 + i)).join('|'),
  // A tooth named as a child's first tooth: it is not put back, and it loosens and falls out by itself.
  BABY_TOOTH: 'baby_tooth|baby_teeth|primary_tooth|primary_teeth|milk_tooth|milk_teeth|baby_molar|baby_molars|baby_front_tooth|baby_front_teeth|baby_incisor|baby_canine',
  HOURS: '2|3|4|5|6|7|8|9|10|11|12|two|three|four|five|six|seven|eight|nine|ten|several|many|a_few|few',
  TOOTH: 'tooth|teeth|front_tooth|front_teeth|incisor|incisors|molar|canine|adult_tooth|permanent_tooth',
  // Lips are left out: a bump to the lip alone is a soft-tissue knock (a split lip, a lip that won't stop bleeding or
  // loosened teeth are caught by their own phrases).
  FACE_PART: 'face|mouth|jaw|jaws|teeth|tooth|chin|cheek|cheekbone|nose|head',
  // What a patient names as the cause of a tooth or face injury: sports are where teeth are knocked out.
  SPORT: 'soccer|football|hockey|basketball|baseball|softball|rugby|lacrosse|boxing|karate|wrestling|volleyball|futbol|beisbol|basquetbol|basquet|boxeo|patinando',
  // What a patient reacts to: a medicine, an injection, latex.
  ALLERGEN:
    'mouthwash|mouth_wash|toothpaste|shot|shots|injection|anesthetic|anaesthetic|numbing|novocaine|lidocaine|antibiotic*|amoxicillin|amoxicilin|amoxil|penicillin|clindamycin|medicine|medication|meds|pill|pills|tablet|tablets|ibuprofen|advil|tylenol|painkiller*|latex|gloves|prescription',
  STRUCK: 'hit|punched|kicked|elbowed|kneed|smacked|whacked|struck|headbutted|slapped|clocked|socked|got_hit|was_hit|been_hit|took_a_ball|took_a_bat|took_an_elbow',
  BLEED: 'bleed|bleeding|bleeds|bled|bledding|blood',
  NOT_STOP: 'wont|doesnt|isnt|hasnt|didnt|not|never|will_not|does_not|is_not|has_not|did_not|cant|cannot|still_wont|still_hasnt|still_isnt|keeps_on|just_wont|refuses_to',
  // Blood thinners by class and by brand, in either language.
  ANTICOAGULANT:
    'blood_thinner|blood_thinners|anticoagulant|anticoagulants|warfarin|coumadin|jantoven|eliquis|apixaban|xarelto|rivaroxaban|pradaxa|dabigatran|savaysa|edoxaban|heparin|lovenox|enoxaparin|plavix|clopidogrel|brilinta|ticagrelor|anticoagulante|anticoagulantes|sintrom|acenocumarol|varfarina|warfarina|heparina',
  // Spanish
  NO_PUEDE: 'no_puedo|no_puede|no_podemos|no_pueden|no_podia|no_pudo|no_logro|no_logra|no_logramos|no_logran|no_consigo|no_consigue|casi_no_puedo|casi_no_puede|apenas_puedo|apenas_puede|me_cuesta|le_cuesta|nos_cuesta|me_cuesta_mucho|le_cuesta_mucho',
  HINCH: 'hinch*|inchad*|inchaz*|inchan*|incho|inflam*|inflo|infla|inflad*|inflando*|absceso|flemon|bola|bulto|bultito',
  OJO_CUELLO: 'ojo|ojos|ojito|ojitos|parpado|parpados|cuello|cuellito|garganta|oreja|orejas|oido|debajo_de_la_mandibula|bajo_la_mandibula|debajo_de_la_barbilla|bajo_la_barbilla',
  DIENTE: 'diente|dientes|muela|muelas|dientito|incisivo|colmillo|paleta|paletas|diente_permanente|diente_de_adulto',
  DIENTE_DE_LECHE: 'diente_de_leche|dientes_de_leche|dientito_de_leche|dientitos_de_leche|muela_de_leche|muelas_de_leche|colmillo_de_leche|paleta_de_leche|paletas_de_leche',
  // Labios left out, as lips in FACE_PART.
  CARA: 'cara|boca|mandibula|quijada|dientes|diente|barbilla|menton|nariz|cabeza|pomulo|mejila|cachete|carita|boquita|cachetes|carrillo|hocico|jeta|trompa|morro|geta',
  OBJETIVO: '@OJO_CUELLO|pomulo|pomulos|barbilla|menton|sien|el_otro_lado|el_otro_cachete|la_otra_mejila|toda_la_cara',
  PASTILLAS: 'pastillas|pastilla|tabletas|capsulas|las_pastillas|la_pastilla|las_tabletas|las_capsulas|el_antibiotico|los_antibioticos|medicinas|las_medicinas',
  ALERGENO: 'anestesia|inyeccion|piquete|antibiotico|antibioticos|amoxicilina|penicilina|clindamicina|medicamento|medicina|pastilla|pastillas|ibuprofeno|latex|guantes|receta|enjuague|enjuague_bucal|pasta_dental',
  HORAS: '2|3|4|5|6|7|8|9|10|11|12|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|varias|muchas',
  GOLPE: 'golpe|golpeo|golpearon|golpee|golpeado|golpeada|pego|pegaron|pegue|me_pegue|se_pego|me_golpee|se_golpeo|punetazo|patada|patearon|balonazo|pelotazo|codazo|rodilazo|cabezazo|trancazo|madrazo|dieron_un_combo|metieron_un_combo|dieron_una_pina|putazo|chingadazo|guamazo|cachetada|bofetada|bofeton|tortazo|trompada|trompadas|derechazo|catorrazo|conazo',
};

export interface LanguageTables {
  /** Words that say, up to the end of their clause, that the patient does not have what follows. */
  negations: string[];
  /** Look like negations but govern nothing ("I don't know why", "no sé qué hacer"). */
  notNegations: string[];
  /** Put the whole clause in the past ("years ago", "in 2019"): nothing in it is happening now… */
  history: string[];
  /** …unless the clause also says it is happening now ("years ago and today it is swelling again"). */
  present: string[];
  /**
   * A story told, not a symptom: a clause about a character (`characters`) that says nothing of the
   * patient or the family (`self`) affirms nothing when the message names a show or a film (`fiction`).
   */
  fiction: string[];
  characters: string[];
  self: string[];
  /** Say in the clause that it is getting better ("the swelling went down"). */
  resolved: string[];
  /** End a clause, and with it the reach of a negation ("no fever, but …", "and now"). */
  clauseBreaks: string[];
  /** End a negation's reach, but a phrase may run on across them ("bleeding and it won't stop"). */
  negationBreaks: string[];
  /** Everyday words of the language, to tell which language the patient writes in. */
  markers: string[];
  features: Partial<Record<Feature, string[]>>;
  /** Phrases that, in the same clause, take back one feature ("bleeds a lot when I floss"). */
  cancels: Partial<Record<Feature, string[]>>;
  /**
   * Phrases that take back only the feature matches they overlap, not the whole clause: "big pills
   * are hard to swallow" is no airway sign, "the pills are hard to swallow and I can't breathe" is.
   */
  excepts?: Partial<Record<Feature, string[]>>;
}

export const LANGUAGES: Record<PatientLanguage, LanguageTables> = {
  en: {
    negations: [
      'no|not|never|without|nor|neither|none|denies|deny|dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|hadnt|aint|wouldnt',
      'no_longer|free_of|no_more|zero|nothing_like',
    ],
    notNegations: [
      'dont|do_not|didnt ~1 know|think|understand|want|mean|wanna|care|panic|see_why',
      'not|no ~1 sure|idea|clue|kidding|joking|matter|only|just|even_sure|to_alarm|to_worry|to_be_dramatic',
      'doesnt|does_not ~1 matter|know',
      'no_one_knows|nobody_knows|no_way|not_certain',
    ],
    history: [
      'years_ago|year_ago|last_year|as_a_kid|as_a_child|when_i_was_a_kid|when_i_was_young|when_i_was_little|in_high_school|in_college|long_time_ago|long_ago|decades_ago',
      'last_summer|last_winter|last_spring|last_fall|last_autumn|last_christmas|summer_before_last|in_grade_school|in_elementary_school|in_middle_school',
      'in|back_in|during|since ~1 @PAST_YEAR',
    ],
    present: ['now|right_now|today|tonight|currently|at_the_moment|this_morning|this_afternoon|this_evening|minutes_ago|an_hour_ago|hours_ago'],
    fiction: ['episode|episodes|tv_show|tv_series|the_show|that_show|a_show|this_show|movie|movies|film|sitcom|netflix|hulu|on_tv|on_television|documentary|soap_opera|cartoon|realistic|greys_anatomy|grey_anatomy|the_series|that_series|this_series'],
    characters: ['a|the|this|that|some|one ~1 patient|patients|character|characters|guy|guys|man|mans|woman|womans|lady|ladys|actor|actors|actress|doctor|doctors', 'someone|somebody|someones|somebodys'],
    self: ['i|im|ive|id|me|my|mine|myself|we|our|ours|us|mom|dad|mum|mother|father|son|daughter|wife|husband|kid|kids|child|baby|toddler|grandma|grandpa|grandmother|grandfather|brother|sister|boyfriend|girlfriend|partner|friend|roommate'],
    resolved: [
      'went|gone|going|come|came|has_gone|is_going ~1 down !to|into|toward*|my|his|her|the|past|onto',
      'is_gone|has_gone|are_gone|gone_away|went_away|subsided|subsiding|is_better|much_better|getting_better|got_better|getting_smaller|got_smaller|is_smaller|improving|improved|healed',
    ],
    clauseBreaks: ['but|although|though|however|except|yet|because|cause|cuz|since_then|so_now|and_now|but_now|anyway|apart_from_that|other_than_that|besides_that|whereas'],
    negationBreaks: ['and|so|which'],
    markers: ['the|my|i|im|is|and|to|of|it|its|have|has|can|cant|with|but|tooth|teeth|face|what|how|this|he|she|his|her|son|daughter|since|very|after|when|a|an|in|on|was|just|please|help|swollen|bleeding|wont|dont|stop|throat|breathe|breathing|swallow|mouth|jaw|gum|gums'],
    features: {
      airway: [
        '@HARD ~3 @BREATHE|@SWALLOW !@MEDS',
        '@INABLE ~2 @BREATHE|@SWALLOW !@MEDS',
        // "I can barely open my mouth or swallow"
        '@INABLE ~4 or|nor|and ~1 @BREATHE|@SWALLOW !@MEDS',
        '@INABLE [get|getting] [enough|any] air',
        // "can't get a full breath in": a breath cut short is a breath that is hard to take.
        '@INABLE|@HARD ~3 get|take|draw|pull|catch ~1 a|one|any ~1 full|deep|proper|whole|good|real|complete ~1 breath|breaths',
        '@HARD ~3 get|getting|take|taking|pull|pulling ~2 air|a_breath|breaths',
        '@INABLE ~1 get|keep|force ~2 water|food|liquid|liquids|anything|drinks|saliva|spit|my_spit|fluids ~1 down',
        'something|food ~3 stuck ~2 throat',
        '@INABLE ~1 catch ~2 breath',
        'short|shortnes ~1 of ~1 breath',
        'out_of_breath|breathless|gasping|choking_on|choked_on|wheezing|wheezy|wheeze|stridor|suffocating|cant_breath|not_breathing|stopped_breathing|isnt_breathing',
        'throat|airway|airways|windpipe ~3 closing|closed|close_up|closes|shut|tight|tightening|tighter|blocked|swelling|swollen|swelled|narrowing|narrower|constricting|feels_thick|getting_smaller|smaller|squeezed|squeezing',
        '@SWOLLEN ~2 throat|airway|windpipe',
        'tongue ~3 swell*|swollen|swolen|big|bigger|large|huge|thick|thicker|fat|enlarged|puffy|getting_big|blowing_up|blew_up|too_big',
        '@SWOLLEN ~2 tongue',
        // "my tongue went numb and is swelling": the tongue is the subject of the second verb too.
        'tongue ~3 and ~1 [it|is|its|keeps|now] [is|getting|started] swell*|swollen|getting_big*',
        'lips|lip|turning|going ~2 blue',
        '@BREATHE ~3 difficult|hard|labored|laboured|noisy|raspy|wheezy',
        'breathing|breathes ~2 funny|weird|strange|oddly|fast|rapid|rapidly',
        'im|is|hes|shes|was|am|are|keep|keeps|kept|keeping|started|been|feel_like_im|feels_like_im|like_im ~1 choking|gagging',
        'drooling ~4 swallow',
        // A muffled, "hot potato" voice: swelling at the back of the mouth.
        'hot_potato|potato ~2 voice|in_my_mouth|in_his_mouth|in_her_mouth|in_the_mouth|in_their_mouth',
        'voice|talking|talk|talks|speaking|speech|sound|sounds ~5 muffled|hot_potato|through_a_pillow|like_a_potato|underwater',
        'muffled ~1 voice|speech|talking',
        // The floor of the mouth raised, the tongue pushed up: swelling under the tongue.
        'floor_of ~2 mouth ~~4 @SWOLLEN|raised|rising|lifted|hard|firm|bulging|pushed_up|puffed_up',
        'under ~1 my|his|her|the ~1 tongue ~3 @SWOLLEN|raised|hard|bulging',
        'tongue ~4 pushed|pushing|lifted|forced|raised ~3 up|back|against|roof',
        // Saliva that will not go down.
        'saliva|spit|drool ~3 wont|doesnt|isnt|cant|not ~2 go|going ~1 down',
        // Noisy or tiny breaths, breathing only sitting up.
        '@BREATHE ~4 whistl*|wheez*|noise|noisy|rattl*|gurgl*|squeak*|high_pitched',
        'whistling|wheezing|rattling|gurgling ~3 @BREATHE',
        'sips|gulps|gasps|bits ~1 of ~1 air',
        'tiny|little|small|short|shallow ~1 breaths',
        'sit|sitting|lean|leaning ~2 up|forward ~6 air|@BREATHE',
        'get|getting|pull|pulling|suck|sucking ~1 air ~1 in|into',
        'lying|lie|laying|lay ~1 down ~3 choke|choking|chokes|gag|gagging',
        'squeez*|constrict*|pressing_on|crushing|closing ~3 throat|windpipe|airway',
      ],
      allergy: [
        'anaphyla*|anaphalaxis|anafilax*|allergic_reaction|allergy_attack|epipen|epi_pen|epinephrine_pen|adrenaline_pen',
        'allergic ~3 reaction|reacting',
        'used|use|gave|give|given|inject*|took|needed ~3 epipen|epi_pen|epinephrine|adrenaline',
        'reaction|reacting|reacted ~3 @ALLERGEN',
      ],
      hives: [
        'hives|welts|rash|itchy_bumps|red_bumps|itchy_rash|blotches|blotchy|itchy_all_over|itching_all_over|itchy_everywhere',
        'skin|body|face|arms|chest ~3 itchy|itching|itches',
        'broke_out|breaking_out|broken_out ~1 all_over|everywhere|in_bumps|in_spots|in_welts',
      ],
      'lip-swelling': [
        'lips|lip|eyelids ~3 swell*|swollen|swolen|puffy|puffing|puffed|blew_up|blown_up|ballooned|huge',
        '@SWOLLEN ~2 lips|lip',
        'lips|lip ~3 like ~1 sausages|sausage|balloons|balloon|a_balloon|a_duck|hot_dogs',
        'lips|lip ~3 thick|thicker|fat|fatter|bigger|enormous|twice_the_size|double_the_size',
      ],
      'allergy-trigger': ['@ALLERGEN'],
      'swelling-spreading': [
        // "bigger" only as a change ("has gotten bigger"): "the abscess lump is bigger" names the size, with a fever beside it.
        '@SWOLLEN ~4 spread*|spredding|spreding|growing|expanding|extending|travel*|moving|creeping|getting_bigger|gotten_bigger|got_bigger|grown|grew|bigger_and_bigger|getting_larger|gotten_larger|more_and_more|worse_and_worse|getting_worse_and_worse|fast|quickly|rapidly|by_the_minute|by_the_hour',
        '@SWOLLEN|@LUMP ~6 moved|moving|spread*|travel*|heading|headed|went|gone|going|reached|reaching|reaches|creeping|climbing|extend*|crept ~2 up|down|into|toward|towards|to|over|across ~3 @SPREAD_TARGET',
        '@SWOLLEN|@LUMP ~4 size_of|big_as ~1 a|an ~2 golf_ball|egg|ball|walnut|grape|orange|lemon|plum|tennis_ball',
        '@SWOLLEN ~2 went|moved|spread|gone|going|travelled|traveled|moving ~1 from',
        'keeps|keep|kept ~1 swelling|swelling_up|puffing_up',
        '@SWOLLEN ~5 up|into|toward|towards|near|around|under|below|reaching|reached|closing|to|down|in|over|at|by|on ~3 @EYE_NECK',
        '@EYE_NECK ~3 @SWOLLEN|swelled_shut|swollen_shut|shut|closing|puffed_up|half_closed|half_shut|is_closed|almost_closed|nearly_closed',
        '@SWOLLEN ~1 eye|eyes|eyelid|eyelids|neck',
        '@INABLE ~1 open ~2 eye|eyes',
        'whole|entire|half ~3 face|neck ~4 @SWOLLEN|blown_up|huge|ballooned|ballooning',
        '@SWOLLEN ~4 whole|entire|half_of ~2 face|neck',
        'face|cheek|jaw ~3 ballooned|ballooning|blown_up|blowing_up|like_a_balloon|balloon',
        // The swollen part named instead of the swelling: "my cheek is getting bigger (toward my eye)".
        'cheek|cheeks|face|jaw|jawline|side_of_my_face|side_of_his_face|side_of_her_face ~3 getting_bigger|gotten_bigger|got_bigger|bigger_and_bigger|keeps_getting_bigger|puffing_up|swelling_up',
      ],
      'spread-to-eye-or-neck': [
        'spread*|spreding|spredding|moving|going|travel*|creeping|extending|reaching|reached|getting_close|got_close|up_to|down_to|into|toward|towards ~3 @EYE_NECK',
        'moved|moving|spread*|travel*|heading|headed|reached|reaching|reaches|creeping|climbing|extend*|crept ~2 up|down|into|toward|towards|to|over|across ~3 @SPREAD_TARGET',
        '@INABLE ~1 see ~4 eye|eyes',
        // "it's up under her eye", "all the way down by my neck".
        'up|down|all_the_way|right ~1 under|below|beneath|by|near|around|against|beside|next_to|at|in ~2 @EYE_NECK',
        // "it's spreading to my other cheek", "getting bigger by the hour": the swelling is named in another clause or message.
        'spreading|spreads|spread_to|spread_into|spread_down|spread_up|getting_bigger|keeps_growing|is_growing|still_growing|bigger_and_bigger|worse_every_hour|worse_by_the_hour',
      ],
      swelling: ['@SWOLLEN', '@LUMP ~2 on|in ~2 gum|gums|jaw|cheek', 'pus'],
      'swelling-topic': ['@SWOLLEN|@LUMP'],
      'bleeding-topic': ['@BLEED'],
      'it-wont-stop': [
        'it|this|that ~1 wont|doesnt|isnt|hasnt|still_wont|still_hasnt|just_wont ~1 stop|stopping|stopped|slow|slowing|slowed',
        // How long it has gone on, beside the bleeding ("it's been 5 hours"); "5 hours ago" says when, not how long.
        'its_been|it_has_been|has_been|have_been|been_going_on_for|going_on_for|for_over|for_more_than|over ~1 @HOURS ~1 hours|hrs|hour !ago|since',
        'for_over|for_more_than|more_than|over ~1 an ~1 hour !ago',
      ],
      fever: [
        'fever*|fevers|fevered|febrile|burning_up|chills|shivering|shivers|night_sweats|high_temp|high_temperature|temperature_of|temp_of|running_a_temp*|running_a_fever|a_temperature|a_temp|have_a_temp|has_a_temp',
        '38|39|40|41|100|101|102|103|104|105 ~1 degrees|c|f|celsius|fahrenheit',
        'temp|temperature|thermometer ~4 @FEVER_NUM',
        'running|spiking|spiked|hit|hitting|reached|reaching ~1 [a|an] @FEVER_NUM',
        '@FEVER_NUM @DIGIT !@NOT_DEGREES',
        '@FEVER_NUM ~3 @TAKEN',
        'hes|shes|is|feels|felt|im|feel|feeling|was ~1 [really|very|so|burning] hot ~2 to_touch|to_the_touch',
      ],
      'bleeding-uncontrolled': [
        '@BLEED ~~4 @NOT_STOP ~1 stop|stopping|stopped|slow|slowing|slowed|clot|clotting|ease|easing|let_up|quit|quitting',
        '@NOT_STOP ~2 stop|stopping|stopped|quit|quitting ~2 @BLEED',
        '@INABLE ~3 stop|control ~3 @BLEED|it',
        '@INABLE ~2 make|get ~1 it|this|the_bleeding|the_blood ~1 stop',
        'keep|keeps|kept|still ~1 spitting|coughing ~3 blood|clots',
        '@BLEED|socket|it ~3 wont|not|isnt|doesnt|never|cant ~1 clot|clotting|form_a_clot',
        'uncontrol*|excessive|excessively|nonstop|non_stop|constant|constantly|continuous|gushing|pouring|spurting|squirting|cup_of|mouthful_of|mouth_full_of ~1 @BLEED',
        '@BLEED ~2 profusely|everywhere|nonstop|non_stop|constantly|all_night|all_day|for_hours|for_over|gushing|pouring|spurting|keeps_coming',
        '@BLEED ~3 for ~2 hours|hour',
        'hours|hour ~~6 still ~1 @BLEED',
        'still ~1 @BLEED ~~4 hours|hour|all_night|all_day',
        'soak*|soaked|soaking|filled|filling|bled_through|bleeding_through|bleeds_through ~3 gauze|gauzes|towel|towels|pillow|tissues|napkins|shirt',
        'through ~3 gauze|gauzes|towel|towels|tissues|napkins',
        // What it has used up: "gone through the whole pack of gauze".
        'gone_through|went_through|going_through|used_up|using_up|run_out_of|ran_out_of|running_out_of|burned_through ~4 gauze|gauzes|gauze_pads|towels|tea_bags|teabags',
        // A measure of the blood: "filling a cup", "clots the size of grapes".
        'fill|fills|filled|filling ~3 cup|cups|glass|bowl|sink|mug|bucket ~3 @BLEED|clots',
        'clot|clots ~3 size_of|big_as|as_big_as|like ~2 grape|grapes|golf_ball|golf_balls|egg|eggs|quarter|quarters|walnut|walnuts|plum|plums',
        'mouth ~3 full|filling|fills ~3 blood|clots',
        '@BLEED ~2 fills|filling|filled ~3 mouth',
        'gauze|gauzes|towel|pillow ~3 soaked|soaking|drenched|full|filled|red',
        'hemorrhag*|haemorrhag*',
        'spitting|coughing|vomiting|throwing_up ~2 blood ~3 nonstop|constantly|all_the_time|every_few_minutes|lots|clots',
      ],
      'bleeding-heavy': [
        'heavy|heavily|severe|severely|profuse|lots_of|a_lot_of|so_much|too_much|tons_of|really_bad ~1 @BLEED',
        '@BLEED ~2 heavily|a_lot|alot|like_crazy|badly|so_much|really_bad',
        'keeps|keep|kept ~1 bleeding|filling_with_blood|filling_up_with_blood',
        // Blood that "keeps running down my throat", "fresh red keeps coming".
        'blood|fresh_red|bright_red ~2 keeps|keep|kept|just_keeps|keeps_on ~1 coming|running|pouring|flowing|dripping|gushing|filling|pooling|trickling|welling',
        '@BLEED ~3 dripping|running|pouring|streaming|trickling ~3 down|off|onto ~2 chin|face|neck|shirt|floor|arm',
      ],
      'jaw-or-face-injury': [
        'broke*|broken|break|fractur*|dislocat*|cracked|shattered|smashed ~3 jaw|jaws|jawbone|cheekbone|cheek_bone|eye_socket|face|skull|nose',
        'jaw|jawbone|cheekbone ~3 broken|broke|fractured|fracture|dislocated|out_of_place|displaced|locked_open|stuck_open|wont_close|doesnt_close|cant_close|hanging',
        '@INABLE ~2 close ~2 mouth|jaw',
        'mouth|jaw ~2 stuck|locked ~1 open',
        // A jaw that stays open (after a yawn, a blow): whatever the clause calls it.
        'stuck|locked|frozen|jammed ~1 [wide] open',
        'landed|land|lands|landing ~3 on|onto|into ~2 @FACE_PART',
        '@STRUCK ~3 in|on|to|across|with ~2 @FACE_PART',
        '@STRUCK ~2 @FACE_PART',
        '@FACE_PART ~2 hit|smashed|slammed|banged|struck|crashed|went_into|went_through ~3 on|into|against|dashboard|steering|pavement|floor|ground|curb|table|wall|concrete|windshield|handlebar*|pole|door',
        'smashed|slammed|banged|bashed|crushed ~3 @FACE_PART',
        'accident|crash|car_wreck|wreck|collision|had_a_fall|bad_fall|fight|assault*|attacked|beaten_up|beat_up|mugged|tripped|slipped|faceplant*|face_plant*|face_first|headfirst|head_first ~~6 @FACE_PART',
        'fell|fall|fallen !out|asleep|apart|for|behind|off_the_map ~~6 @FACE_PART',
        '@FACE_PART ~~6 accident|crash|car_wreck|collision|fight|assault*|attacked|beaten_up|faceplant*|face_plant*|face_first|headfirst',
        'cut|split|gash|torn|ripped ~3 through ~2 lip|lips|cheek|tongue',
        'concussion|knocked_unconscious|knocked_out_cold|passed_out_after',
      ],
      'tooth-knocked-out': [
        'knock*|knoked ~1 out|loose|lose ~4 @TOOTH',
        'knock*|knoked ~4 @TOOTH ~3 out|loose|lose|sideways|back|crooked',
        '@TOOTH ~4 knock*|knoked ~1 out|loose|lose|sideways|back|crooked',
        'knock*|knoked ~2 it|them|one|both ~1 out',
        '@TOOTH ~4 in|into ~3 milk|saliva|salt_water|a_cup',
        'avulsed|avulsion',
        // A whole tooth with its root out: a shed baby tooth has none left.
        '@TOOTH|it ~6 root_and_all|roots_and_all|with_the_root|with_its_root|whole_root',
        '@TOOTH ~4 jammed|rammed|driven|smashed|pushed_up ~2 up|into|inside|into_the_gum|out',
        '@TOOTH ~4 shoved|forced|pushed|sunk|sank ~1 [up|back|right] into|inside|in ~2 gum|gums|jaw|bone',
        '@TOOTH ~4 hanging|dangling|hanging_by',
        'holding|found|picked_up|keeping|put ~2 the|his|her|my ~1 tooth ~3 in|hand|bag|milk|napkin|tissue|ground|floor|back|pocket',
        'have|has|got ~1 the|his|her ~1 tooth ~3 in|hand|bag|milk|napkin|tissue|pocket',
      ],
      'tooth-out': [
        '@TOOTH ~4 came_out|fell_out|popped_out|flew_out|came_right_out|out_completely|completely_out|ripped_out|missing_now|is_missing|are_missing|is_gone|are_gone|was_gone',
        'it|one ~1 came_out|fell_out|popped_out|flew_out',
        'lost|missing ~3 @TOOTH',
        '@TOOTH ~4 lying|laying|sitting|is_on|was_on|ended_up_on ~3 floor|ground|table|grass|pavement|counter|sidewalk|field|court',
        '@TOOTH ~1 is|are|was|were ~1 just|completely|totally|clean|now|all|simply ~1 gone|missing|out',
        // Where the tooth is now: in a hand, a napkin, found on the floor.
        '@TOOTH ~2 is|are|was|were ~1 in|on ~2 my|his|her|the|a ~1 hand|hands|palm|pocket|napkin|tissue|milk|bag|cup',
        'have|has|got|kept|keeping|put|holding ~1 it|them ~2 in ~2 a|the|some|my|his|her ~1 napkin|tissue|bag|baggie|cup|milk|paper_towel|ziploc|pocket|hand',
        'found|find|picked_up|pick_up|grabbed ~1 it|them|the_tooth|his_tooth|her_tooth|my_tooth ~4 floor|ground|grass|pavement|field|court|sidewalk|carpet|rink|ice|mat',
        'with_the_root|with_its_root|with_the_roots|root_and_all|roots_and_all|whole_root|root_attached|root_still_attached|root_still_on',
      ],
      'tooth-loose': [
        '@TOOTH ~4 loose|wobbly|wiggly|moving|moves|wiggles|pushed|shoved|moved|shifted|bent|crooked|sideways|out_of_place|sticking_out|angle|twisted|turned',
        // Pushed into the gum, or lying over: "is pushed up into the gum", "one of my front ones is lying flat".
        'pushed|jammed|shoved|driven|rammed|forced|sunk|sank ~2 into|inside ~2 gum|gums|jaw|bone',
        '@TOOTH|one|ones ~4 lying|laying|lies|leaning|tilted|tipped|bent|pushed|pointing ~2 flat|back|backwards|forward|forwards|toward|towards|inward|inwards|sideways',
      ],
      'baby-tooth-out': [
        '@BABY_TOOTH ~4 came_out|fell_out|popped_out|flew_out|knock*|is_gone|are_gone|missing|pushed|jammed|shoved|sunk|driven',
        'knock* ~4 @BABY_TOOTH',
      ],
      anticoagulant: ['@ANTICOAGULANT'],
      'bleeding-ongoing': ['still|keeps|keep|kept|continues_to|continuing_to ~1 @BLEED|oozing', '@BLEED ~2 still|all_day|all_night'],
      reassured: [
        'hardly|barely|only|just ~1 bled|bleeding|a_little_blood|a_bit_of_blood|any_blood',
        'tiny_bit_of_blood|little_bit_of_blood|hardly_any_blood|barely_any_blood|not_much_blood',
        'laughing|playing|smiling ~2 already|again|normally|like_nothing_happened',
        'back_to_playing|already_playing|running_around|playing_already|laughing_already',
      ],
      'injury-event': [
        '@STRUCK|smashed|slammed|banged|tripped|slipped|crash*|accident|collision|collided|fight|punch*|kick*|elbow|assault*|attacked|tackled|knock*|took_a_puck|took_a_ball',
        'fell|fall|fallen !out|asleep|apart|for|behind',
        'trampoline|skateboard*|skating|bike|bicycle|scooter|swing|swings|monkey_bars|playground|diving|faceplant*|face_plant*|face_first|stairs|curb|pavement|dashboard|steering_wheel|puck|bat|@SPORT',
      ],
      'jaw-sign': [
        '@INABLE ~2 open|close ~2 mouth|jaw|it',
        'bite ~3 feels|is|seems|looks|feel ~1 off|wrong|different|weird|strange|uneven|crooked|shifted',
        'teeth ~3 dont|doesnt|wont|arent|not ~1 fit|meet|line_up|come_together|close ~1 [together|right|properly]',
        'chin|lower_lip|jaw ~3 numb|tingling|tingly|dead|no_feeling',
        // Signs of a broken cheekbone or eye socket after a fall: a numb cheek, an eye sitting lower, double vision.
        'cheek|cheeks|face|upper_lip|gums|teeth ~3 numb|tingling|tingly|no_feeling',
        'see|seeing|sees|seeing_things ~1 double',
        'double_vision|blurry_vision|blurred_vision',
        'eye|eyes ~4 lower|higher|sunken|sunk|uneven|droopy|drooping|doesnt_move|wont_move',
        'jaw ~3 crooked|sideways|off_to_one_side|lopsided|shifted|out_of_line',
        // A small child who will not open the mouth, a split lip, crying when the jaw is touched.
        'wont|will_not|refuses_to|refusing_to|doesnt_want_to ~1 open|close ~2 mouth|jaw',
        'lip|lips ~3 split|split_open|busted|cut_open|gashed',
        'scream*|cries|crying|cry|winces|flinch* ~4 touch* ~2 jaw|face|cheek|chin|mouth',
      ],
    },
    cancels: {
      // A gland swollen by a cold, named as such ("a swollen gland under my ear from a cold").
      'swelling-spreading': ['gland|glands|lymph_node|lymph_nodes ~6 from|with|because_of ~2 a|the|my ~1 cold|flu|virus|sore_throat'],
      'jaw-or-face-injury': ['with ~2 fork|spoon|toothbrush|floss|chopstick*|cup|glass|straw|bottle|pen|pencil'],
      'bleeding-heavy': ['when|while|after|during|if ~3 brush*|floss*|cleaning|cleanings|scaling|eat|eating|chew*|toothpick*', 'will|going_to|gonna|is_it_going_to ~3 @BLEED'],
    },
    excepts: {
      // "big pills are hard to swallow": the medicine, not the throat.
      airway: ['@MEDS ~4 hard|difficult|tough|trouble|impossible ~2 to ~1 swallow|get_down'],
      // A baby tooth loose, hanging or knocked out is read by baby-tooth-out alone, and so is a fall that names only it.
      // …and a tooth the dentist took out whole: "the dentist pulled my tooth with the root".
      'tooth-knocked-out': [
        '@BABY_TOOTH',
        'knock* ~1 out_of ~1 alignment|whack|sync',
        'pulled|extracted|removed|took|taken|taking|pulling|extracting ~6 with_the_root|with_its_root|with_the_roots|root_and_all|roots_and_all|whole_root',
      ],
      'tooth-out': ['@BABY_TOOTH'],
      'tooth-loose': ['@BABY_TOOTH'],
      'jaw-or-face-injury': ['@BABY_TOOTH'],
      // A numb lip "feels fat" after the injection: a sensation, not a swelling.
      'lip-swelling': ['feel|feels|felt|feeling ~2 thick|thicker|fat|fatter|big|bigger'],
      // "knocked out of alignment by my wisdom teeth": crowding, not a blow; "the needle hit a nerve": an injection.
      'injury-event': ['knock* ~1 out_of ~1 alignment|whack|sync', 'hit|struck|touched|nicked ~2 a|the|my ~1 nerve|nerves|vein'],
    },
  },
  es: {
    negations: ['no|ni|sin|nunca|jamas|tampoco|ningun|ninguna|ninguno|nada_de|ya_no|no_hay|cero'],
    notNegations: [
      'no ~1 se|sabe|sabemos|saben|entiendo|creo|quiero|quisiera|importa|exagero|miento|estoy_segura|estoy_seguro|tengo_idea|se_por_que|se_que|se_si|se_como',
      'ni_idea|no_se',
    ],
    history: [
      'hace ~2 anos|ano|meses',
      'hace_anos|hace_muchos_anos|el_ano_pasado|hace_un_ano|de_nino|de_nina|de_pequeno|de_pequena|cuando_era_nino|cuando_era_nina|cuando_era_chico|cuando_era_chica|de_chico|de_chica',
      'el_verano_pasado|el_invierno_pasado|la_primavera_pasada|el_otono_pasado|la_navidad_pasada|en_la_primaria|en_la_secundaria',
      'en|desde|durante|en_el_ano ~1 @PAST_YEAR',
    ],
    present: ['ahora|ahorita|ahora_mismo|hoy|esta_manana|esta_tarde|esta_noche|anoche|ayer|desde_ayer|hace_un_rato|hace_unos_minutos'],
    fiction: ['novela|telenovela|serie|pelicula|peli|capitulo|episodio|la_tele|en_la_tele|en_la_television|programa_de_television|documental|caricatura|netflix|realista'],
    characters: ['un|una|el|la|este|esta|ese|esa ~1 paciente|personaje|actor|actriz|senor|senora|hombre|tipo|chico|chica|muchacho|muchacha|doctor|doctora|mujer', 'alguien'],
    self: ['yo|me|mi|mis|mio|mia|nos|nuestro|nuestra|nuestros|nuestras|conmigo|tengo|estoy|hijo|hija|hijos|hijas|nino|nina|bebe|mama|papa|esposo|esposa|marido|abuela|abuelo|hermano|hermana|novio|novia|amigo|amiga'],
    resolved: [
      'ya ~1 bajo|bajó|paro|se_quito|se_fue|se_desinflamo|no_esta_hinchado|sano !al|hacia|hasta|a|por',
      'ha_bajado|ha_disminuido|disminuyo|se_desinflamo|desinflamando|desinflamo|mejoro|mejorando|esta_mejor|se_paro|se_detuvo|dejo_de_sangrar|paro_de_sangrar|se_quito|se_ha_quitado',
      'esta|va ~1 bajando|disminuyendo !hacia|al|a|hasta|por',
    ],
    clauseBreaks: ['pero|aunque|sin_embargo|excepto|salvo|porque|ya_que|y_ahora|pero_ahora|mientras_que|en_cambio'],
    negationBreaks: ['y|e'],
    markers: ['el|la|los|las|de|del|que|y|mi|mis|me|se|le|lo|un|una|es|esta|estoy|tengo|tiene|muy|por|para|con|pero|hijo|hija|diente|dientes|muela|muelas|cara|hay|puedo|puede|hinchada|hinchado|sangre|ayuda|desde|cuando|como|usted|hola|ya|mucho|porque|nino|nina|ninos|aceptan|hacen|atienden|tienen|pueden|necesito|quiero|quisiera|cuanto|cuesta|donde|gracias|seguro|cita|limpieza|dentista|encia|encias|duele|dolor|blanqueamiento|pequenos|sigue|sigo|siguen|saliendo|sangrando|sangra|ahora|ayer|hoy|tambien|casi|su|sus|estan'],
    features: {
      airway: [
        '@NO_PUEDE ~2 respirar|tragar|pasar_saliva|pasar_la_saliva|tragar_saliva|respiro|trago !@PASTILLAS',
        'no ~1 puedo|puede|podemos|pueden ~2 respirar|tragar !@PASTILLAS',
        '@NO_PUEDE ~4 ni|o|y ~1 respirar|tragar !@PASTILLAS',
        // La saliva que no baja, la voz "de papa", el piso de la boca levantado.
        'no ~1 me|le|nos|se ~1 baja|pasa|bajaba|pasaba ~2 saliva|baba',
        'saliva|baba ~3 no ~1 [me|le|se] baja|pasa|bajaba|pasaba',
        'papa|papa_caliente ~1 en ~1 la ~1 boca',
        'voz ~3 de ~1 papa|papa_caliente',
        'voz ~3 apagada|ahogada|de_papa|como_tapada',
        'piso|suelo ~3 boca ~~4 @HINCH|duro|dura|levantado|levantada|abultado',
        'debajo_de_la_lengua ~3 @HINCH|duro|abultado',
        'lengua ~4 levantada|empujada|sube|subiendo|hacia_arriba|contra_el_paladar',
        'lengua ~3 y [se|me|le] [esta] hincha|hinchando|hincho|inflama|inflamando|inflando',
        'silb*|chiflid* ~3 respir*|respiro|aire',
        'respir*|respiro ~3 silb*|chifl*|ruido|ronquido',
        'dificultad|dificultades|problema|problemas|trabajo ~2 respirar|tragar|respiro|respiracion',
        'me|le|nos|se_me|se_le ~1 falta|faltaba ~1 aire|el_aire|la_respiracion',
        'falta_de_aire|sin_aire|ahogo|ahoga|ahogando|ahogandome|ahogandose|asfixi*|sofocando|sofocandome|atragant*',
        'garganta ~3 cerrando|cerrada|cierra|cerro|hinchada|hinchando|hincho|inflamada|apretada|tapada|bloqueada',
        'cierra|cerrando|hincha|hinchando|hincho|inflama|tapa ~2 garganta',
        'lengua ~3 hinchada|hinchando|hincho|hinchado|inflamada|grande|gorda|enorme',
        'hinch*|inflam* ~3 lengua',
        'labios|se_esta_poniendo|poniendose|se_puso|se_pone ~2 morado|morados|morada|moradas|azul|azules',
        'respira|respiro|respiramos|respirando ~2 mal|raro|con_dificultad|con_ruido|con_trabajo|muy_rapido|rapido',
        // "se le oye la respiración ronca": a breath that is heard.
        'respiracion|respira|respirando|respirar ~2 ronca|ronco|ruidosa|ruidoso|entrecortada|silbante|con_silbido',
        'no ~1 me|le|nos ~1 entra ~1 [el] aire',
        'silbido ~2 pecho|al_respirar',
      ],
      'jaw-sign': [
        '@NO_PUEDE ~2 abrir|cerrar ~2 boca|mandibula|quijada',
        'no ~1 me|le|nos ~1 cierra|cierran|abre ~2 boca|dientes|mandibula|quijada',
        'mordida ~3 chueca|rara|diferente|desviada|mal|no_cierra|no_coincide|cambio',
        'muerdo|muerde ~1 raro|chueco|diferente|mal|distinto',
        'barbilla|menton|labio_de_abajo|labio_inferior ~3 dormida|dormido|adormecida|adormecido|entumida|entumido|sin_sensibilidad',
        'mejila|cachete|cara|pomulo|labio_de_arriba|labio_superior|encia|encias ~3 dormida|dormido|adormecida|adormecido|entumida|entumido|sin_sensibilidad',
        'veo|ve|viendo|vemos ~1 doble',
        'vision_doble|vision_borrosa',
        'ojo|ojos ~4 mas_bajo|mas_abajo|hundido|caido|desigual',
        'mandibula|quijada|boca ~3 chueca|chueco|torcida|torcido|desviada|de_lado|ladeada',
        'no ~1 la|lo|le|me ~1 puedo|puede ~1 cerrar|abrir',
        'no ~1 quiere ~1 abrir|cerrar ~2 boca|boquita',
      ],
      allergy: [
        'reaccion_alergica|reaccion_alergia|alergia_grave|anafila*|choque_anafilactico|shock_anafilactico|epipen|adrenalina_autoinyectable',
        'reaccion ~3 @ALERGENO',
        // "me dio alergia la anestesia" is a reaction now; "tengo alergia a la penicilina" only says what to avoid.
        'me|le|nos|les ~1 dio|dieron|da|dan|esta_dando|causo|provoco|hizo ~2 alergia|reaccion',
        'puse|puso|pusieron|pusimos|inyecte|inyecto|inyectaron|use|uso ~2 epinefrina|adrenalina|epipen',
      ],
      hives: [
        'ronchas|urticaria|habones|sarpullido|erupcion|manchas_rojas|comezon_en_todo|picazon|comezon|picor|me_pica_todo|le_pica_todo|me_pica_el_cuerpo',
        'cara|piel|cuerpo|brazos|pecho ~3 roja|rojo|colorada|colorado ~2 de|con ~1 granos|granitos|manchas|ronchas|puntitos|bolitas',
        // "me brotó toda": the skin broke out.
        'me|le|se_me|se_le|nos|les ~1 broto|brotaron ~2 todo|toda|todito|todita|entero|entera|la_piel|el_cuerpo|la_cara|ronchas',
        'brotado|brotada|brotadito|brotadita',
        'piel|cuerpo ~3 roja|rojo|colorada|colorado ~1 como',
      ],
      'lip-swelling': ['labios|labio|parpados ~3 hinch*|inflam*', 'hinch*|inflam* ~2 labios|labio', 'labios|labio ~3 como ~1 salchicha*|globo*|chorizo*|de_pato|morcilla*', 'labios|labio ~3 gruesos|grueso|gordos|gordo|enormes|enorme|grandotes|gigantes'],
      'allergy-trigger': ['@ALERGENO'],
      'swelling-spreading': [
        '@HINCH ~5 extend*|extiend*|expand*|propag*|avanza|avanzando|creciendo|crece|agranda|agrandando|corriendo|se_riega|riega|mas_y_mas_grande|cada_vez_mas_grande|cada_vez_mas|rapidisimo|muy_rapido|rapido|rapidamente|de_prisa',
        '@HINCH ~5 llega|llego|sube|subio|subiendo|baja_hacia|bajando_hacia|pasa|paso|pasando|va|hasta|hacia|al|cerca_del|alrededor_del|debajo_del ~3 @OJO_CUELLO',
        '@OJO_CUELLO ~3 @HINCH|cerrado|cerrando|cerro|cerrandose',
        'hinch*|inflam*|cerro|cerrando|cerrado ~2 @OJO_CUELLO',
        'no ~1 puedo|puede ~1 abrir ~2 ojo',
        'toda|media|todo_un_lado_de|la_mitad_de|medio_lado_de ~2 cara|cuello ~3 @HINCH|deformada|enorme',
        '@HINCH ~4 toda_la_cara|media_cara|la_mitad_de_la_cara|todo_el_cuello',
        'cara|cachete|cachetes|mejila|carrillo|boca|labio|labios ~3 como_un_globo|como_una_pelota|como_un_balon|como_una_bola|deforme|deformada',
      ],
      'spread-to-eye-or-neck': [
        'extend*|extiend*|expand*|propag*|llega|llego|sube|subio|subiendo|baja|bajo|bajando|baja_hacia|bajando_hacia|pasa|paso|pasando|avanza|avanzo|hasta|hacia|corre ~3 @OJO_CUELLO',
        'extend*|extiend*|expand*|propag*|llega|llego|llegando|sube|subio|subiendo|bajando|pasa|paso|pasando|avanza|avanzo|corre|se_riega ~3 @OBJETIVO',
        'cada_vez_mas_grande|esta_mas_grande|sigue_creciendo|esta_creciendo|no_para_de_crecer|no_deja_de_crecer|mas_y_mas_grande|se_esta_extendiendo|se_riega',
      ],
      swelling: ['@HINCH', 'cachete|mejila ~2 grande|gordo|enorme', 'pus'],
      'swelling-topic': ['@HINCH'],
      'bleeding-topic': ['sangr*|sangre|sangrado'],
      'it-wont-stop': [
        'no ~1 para|paro|se_detiene|se_para|se_corta|deja|se_quita|disminuye',
        // Cuánto dura, junto al sangrado ("desde hace cuatro horas"); "hace 3 horas" solo dice cuándo.
        'ya_van|van|lleva|llevo|llevamos|desde_hace|ya_son|son ~1 @HORAS ~1 horas',
        'mas_de|desde_hace_mas_de ~1 una ~1 hora',
      ],
      fever: [
        'fiebre|fiebres|calentur*|febril|afiebra*|escalofrio*|temperatura_alta|mucha_temperatura|temperatura_de|tiene_temperatura|tengo_temperatura|con_temperatura',
        '38|39|40|41 ~1 grados|c',
        '38|39|40|41 ~2 de ~1 temperatura|fiebre',
        '38|39|40|41 @DIGIT !@NOT_DEGREES',
        '38|39|40|41 ~3 @TAKEN',
        'temperatura|fiebre|termometro ~4 38|39|40|41',
      ],
      'bleeding-uncontrolled': [
        'no ~1 para|paro|paran|deja|dejan|dejo ~1 de ~1 sangrar|salir_sangre|salirle_sangre|botar_sangre|echar_sangre',
        'sangr*|sangre|sangrado ~~4 no ~2 para|paro|paran|detiene|detuvo|corta|corto|coagula|coagulo|cesa|deja|quita|se_detiene|se_para|se_corta|se_quita|disminuye',
        'sangr*|sangre|sangrado ~3 sin_parar|sin_detenerse|a_chorros|horas|toda_la_noche|todo_el_dia|sin_control|a_cada_rato|cada_rato|a_cada_momento|todo_el_tiempo',
        'chorros_de|un_chorro_de ~1 sangre',
        'sangrado ~2 abundante|excesivo|profuso|incontrolable|que_no_para',
        'hemorragia*',
        'no ~2 coagula|coagulo|cuaja|hace_coagulo|forma_coagulo',
        'empap* ~3 gasa|gasas|almohada|toalla|camisa',
        'gasa|gasas|almohada|toalla|toallas ~3 empap*|llena|llenas|manchada ~2 sangre',
        'sangra_y_sangra|sangrando_y_sangrando|sangre_y_sangre',
        'horas ~3 sangrando',
        'sigue|sigo|siguen ~1 sangrando ~~4 horas|hora|toda_la_noche|todo_el_dia',
        'boca ~3 llena ~2 sangre',
        'llena ~2 sangre ~2 boca',
        'llena|llenando|lleno|llenan ~3 boca ~2 de ~1 sangre|coagulos',
        'boca ~3 llena ~2 coagulos|coagulo|cuajos|cuajarones',
        // "sigue brotando sangre fresca", "llenando un vaso de sangre", "coágulos como uvas", "se acabaron las gasas".
        'sigue|siguen|sigo ~1 brotando|chorreando|escurriendo|manando ~2 sangre',
        'sigue|siguen|sigo ~1 saliendo|saliendome|saliendole ~1 sangre_fresca|sangre_roja|sangre_viva',
        'llenando|llene|lleno|llena|llenamos ~3 vaso|vasos|taza|tazas|vasito|tazon ~3 sangre|coagulos',
        'coagulos|coagulo ~3 como|del_tamano_de|tamano_de|grandes_como ~2 uva|uvas|huevo|huevos|pelota|nuez|nueces|ciruela|ciruelas|higado',
        'gaste|gasto|gastamos|acabe|acabo|acabamos|se_acabaron|se_me_acabaron|se_le_acabaron|se_nos_acabaron|termine|terminamos ~4 gasas|toallas|el_paquete',
      ],
      'bleeding-heavy': [
        'sangr*|sangre|sangrado ~3 mucho|muchisimo|demasiado|bastante|horrible',
        'mucha|muchisima|demasiada|bastante|tanta|un_monton_de|abundante ~1 sangre',
        'sangrado ~2 fuerte|intenso',
      ],
      'jaw-or-face-injury': [
        'rompi|rompio|rompieron|quebre|quebro|quebraron|fractur*|disloc*|zafo|zafe|desencaj*|partio|parti ~3 mandibula|quijada|maxilar|cara|nariz|pomulo',
        'mandibula|quijada|maxilar|pomulo ~3 rota|roto|quebrada|fracturada|fracturado|dislocada|desencajada|zafada|trabada|fuera_de_lugar|no_cierra|colgando',
        '@NO_PUEDE ~1 cerrar ~2 boca|mandibula|quijada',
        'boca ~2 trabada|atorada|abierta_y_no_cierra|no_cierra',
        // "se me trabó la mandíbula": stuck open or out of place.
        'se_me|se_le|me|le|se ~1 trabo|trabe|atoro|atranco|atasco|zafo|desencajo|disloco ~3 mandibula|quijada|boca',
        '@GOLPE ~4 @CARA',
        'accidente|choque|choco|chocamos|se_cayo|me_cai|se_callo|nos_caimos|se_cayeron|caida|cayo_de|cayo_en|se_tropezo|me_tropece|tropezo|pelea|asaltaron|agredieron|atropell* ~~6 @CARA',
        '@CARA ~3 contra|golpearon|pegaron|pego|se_estrello|estrello',
        'conmocion|perdio_el_conocimiento|se_desmayo_tras_el_golpe',
        'labio ~2 partido|abierto|cortado_profundo',
      ],
      'tooth-knocked-out': [
        'tumbo|tumbaron|tumbe|volo|volaron|arranco_de_un_golpe|botaron|boto ~3 @DIENTE',
        'zafo|salio|se_salio|cayo|se_cayo|desprendio ~4 @DIENTE ~3 completo|completa|entero|entera|de_raiz|con_raiz|con_todo_y_raiz|con_raiz_y_todo',
        '@DIENTE ~6 con_raiz_y_todo|con_todo_y_raiz|raiz_y_todo',
        '@DIENTE ~3 salio|salieron|sali|se_salio|se_le_salio|se_me_salio ~2 completo|completa|entero|entera|de_raiz|con_raiz|con_todo_y_raiz|volando|de_golpe',
        '@DIENTE ~4 en ~2 leche|saliva|suero',
        '@DIENTE ~4 metio|metido|hundio|hundido|colgando|hacia_adentro',
        'avulsion|avulsionado',
      ],
      'tooth-out': [
        'se_le|se_me|se_nos|le|me ~1 cayo|callo|salio|salto|brinco|volo|cayeron|callaron|salieron|saltaron|volaron|zafo|desprendio|cae|sale|caen|salen ~3 @DIENTE',
        // Where the tooth is now: "lo encontré en el suelo", "lo tengo en la mano".
        'lo|la ~1 encontre|encontramos|encontro|recogi|recogimos|recogio ~3 suelo|piso|pasto|cancha|tierra|calle|banqueta|acera',
        '@DIENTE ~4 en ~2 mano|servilleta|bolsa|bolsita|vaso|panuelo',
        // The dentist takes a tooth out ("me sacaron una muela"), and so does a blow ("me lo sacaron de un golpe"): only with the blow.
        'saco|sacaron ~3 @DIENTE',
        '@DIENTE ~3 cayo|salio|se_salio|se_cayo|cayeron|desprendio|se_sale|se_cae',
      ],
      'tooth-loose': ['se_le|se_me|le|me ~1 movio|aflojo|torcio|metio ~2 @DIENTE', 'se_le_ha|se_me_ha|le_ha|me_ha ~1 movido|aflojado|torcido|metido ~2 @DIENTE', '@DIENTE ~4 flojo|floja|flojos|suelto|suelta|se_mueve|moviendo|bailando|movio|movido|torcio|torcido|chueco|desplazado|fuera_de_lugar|fuera_de_su_lugar|para_atras|hacia_atras'],
      'baby-tooth-out': [
        'cayo|callo|salio|salto|volo|tumbo|tumbaron|boto|botaron|se_salio|se_cayo|se_callo ~3 @DIENTE_DE_LECHE',
        '@DIENTE_DE_LECHE ~3 cayo|salio|se_salio|se_cayo|tumbaron|hundio|metio|hundido|metido',
      ],
      'bleeding-ongoing': [
        'sigue|sigo|siguen|continua|continuo ~1 sangrando|saliendo_sangre|saliendole_sangre|saliendome_sangre',
        'sangr*|sangre ~2 todavia|todo_el_dia|toda_la_noche',
        'todavia|aun ~2 sangr*|sale_sangre',
      ],
      reassured: [
        'casi_no|apenas|muy_poco|poquito|poquita|un_poquito ~1 sangro|sangra|sangre|sangrado|le_sangro',
        'sangro|sangra ~1 poquito|poco|muy_poco|nada',
        'ya|sigue ~1 [esta] jugando|riendo|corriendo',
        'como_si_nada',
      ],
      'injury-event': [
        '@GOLPE|caerse|caerme|al_caer|cayendose|se_cayo|se_callo|me_cai|nos_caimos|se_cayeron|caida|cayo_de|cayo_en|cayo_contra|se_tropezo|me_tropece|tropezo|choque|choco|chocamos|accidente|pelea|pelearon|patineta|bici|bicicleta|moto|columpio|trampolin|escaleras|@SPORT|resbalo|me_resbale|se_resbalo|se_pego|me_pegue',
      ],
    },
    cancels: {
      'bleeding-heavy': ['cuando|al|despues_de|con|si ~3 cepill*|lavo|lavarme|hilo|limpieza|como|comer|mastico', 'sangrare|sangrara|sangraria|va_a_sangrar|voy_a_sangrar|van_a_sangrar'],
    },
    excepts: {
      airway: ['@PASTILLAS ~4 dificil|dificiles|cuesta|cuestan ~2 de ~1 tragar'],
      'tooth-knocked-out': ['@DIENTE_DE_LECHE'],
      'tooth-out': ['@DIENTE_DE_LECHE'],
      'tooth-loose': ['@DIENTE_DE_LECHE'],
      'jaw-or-face-injury': ['@DIENTE_DE_LECHE'],
      'lip-swelling': ['siente|siento|sentia|sentir ~2 grueso|gruesos|gorda|gordo|gordos|grande|grandes'],
    },
  },
};

/** Table words a one-letter typo of which should still be recognised, beyond the literal phrase words. */
export const TYPO_TARGETS: string[] = [
  'swelling', 'swollen', 'swelled', 'spreading', 'bleeding', 'breathing', 'breathe', 'swallow', 'swallowing', 'knocked', 'throat', 'tongue',
  'fever', 'accident', 'fractured', 'allergic', 'reaction', 'hinchado', 'hinchada', 'hinchazon', 'hinchando', 'inflamado', 'inflamada', 'sangrando',
  'sangrado', 'respirar', 'fiebre', 'garganta', 'mandibula',
];

/** Word pairs rewritten before matching, where two words mean something else than each alone. */
export const REWRITES: Record<string, string> = {
  'bad breath': 'halitosis',
  'breath mint': 'mint',
  'breath mints': 'mints',
  'eye tooth': 'canine',
  'eye teeth': 'canines',
  'mal aliento': 'halitosis',
};

/**
 * Misspellings and run-together words patients type, after normalisation, with what they mean.
 * Typos one letter away from a longer table word are caught by the engine without a listing here.
 */
export const MISSPELLINGS: Record<string, string> = {
  // English
  breth: 'breathe', brethe: 'breathe', brath: 'breathe', braeth: 'breathe', beathe: 'breathe', brething: 'breathing', brathing: 'breathing',
  breahting: 'breathing', breating: 'breathing', breeth: 'breathe', breathng: 'breathing',
  swalow: 'swallow', swalo: 'swallow', swolow: 'swallow', sallow: 'swallow', swolloing: 'swallowing', swaloing: 'swallowing',
  tounge: 'tongue', tonuge: 'tongue', tung: 'tongue', tonge: 'tongue',
  throte: 'throat', throut: 'throat', throath: 'throat', troat: 'throat', thorat: 'throat', thoat: 'throat',
  fevr: 'fever', feaver: 'fever', fevor: 'fever', fevar: 'fever', fver: 'fever', feber: 'fever',
  swolen: 'swollen', swolled: 'swollen', sweled: 'swelled', swoln: 'swollen', sollen: 'swollen', swellin: 'swelling',
  blededing: 'bleeding', bleding: 'bleeding', bledin: 'bleeding', bleading: 'bleeding', bleedin: 'bleeding', bledng: 'bleeding', bloodd: 'blood',
  stopp: 'stop', stoping: 'stopping',
  nocked: 'knocked', knoked: 'knocked', knockd: 'knocked', nockd: 'knocked',
  toth: 'tooth', tooh: 'tooth', toof: 'tooth', teth: 'teeth', teef: 'teeth',
  jae: 'jaw', jwa: 'jaw',
  eyee: 'eye', ey: 'eye', nek: 'neck', nekc: 'neck',
  cnat: 'cant', cnt: 'cant', cantt: 'cant', caint: 'cant', dnt: 'dont', wnt: 'wont',
  alergic: 'allergic', alergy: 'allergy', allergicc: 'allergic',
  spredding: 'spreading', spreding: 'spreading', sprading: 'spreading',
  // Spanish
  nopuedo: 'no puedo', nopuede: 'no puede', q: 'que', xq: 'porque', pq: 'porque', porq: 'porque', tb: 'tambien', tmb: 'tambien',
  respiar: 'respirar', resprar: 'respirar', respirrar: 'respirar', respirra: 'respira',
  trgar: 'tragar', tragarr: 'tragar', tragr: 'tragar', tragal: 'tragar', respirr: 'respirar', tngo: 'tengo', bn: 'bien',
  fievre: 'fiebre', fibre: 'fiebre', fiebr: 'fiebre', fiebe: 'fiebre',
  sangando: 'sangrando', sangrnado: 'sangrando', sangrano: 'sangrando',
  inchado: 'hinchado', inchada: 'hinchada', inchazon: 'hinchazon', inchando: 'hinchando', incho: 'hincho', hinchao: 'hinchado',
  garganata: 'garganta', garjanta: 'garganta', gargnta: 'garganta',
  dente: 'diente', dinte: 'diente', muella: 'muela',
  kijada: 'quijada', quixada: 'quijada', asta: 'hasta', dout: 'out',
};

/**
 * Real words one letter away from a table word, which the typo correction must leave alone
 * ("smelling" is not "swelling", "cooking" is not "choking").
 */
export const NOT_TYPOS: string[] = [
  'smelling', 'selling', 'spelling', 'dwelling', 'welling', 'telling', 'yelling', 'cooking', 'shallow', 'breeding', 'blending', 'bleeping',
  'stolen', 'pinched', 'losing', 'grasping', 'clasping', 'breadth', 'breathed', 'though', 'through', 'thought', 'tough', 'shocking', 'checking',
  'knocking', 'socked', 'rocked', 'locked', 'pinches', 'punches', 'lunches', 'crunches', 'beeping', 'peeling', 'feeling', 'ceiling',
  'hallow', 'follow', 'hollow', 'swallowing', 'shoving', 'shaving', 'moving', 'having', 'saving', 'raving',
  'ahorrando', 'ahorando', 'gargantilla', 'cerrado', 'sangria', 'tragos', 'tragedia', 'lenguaje', 'fiebres', 'miedo',
];
